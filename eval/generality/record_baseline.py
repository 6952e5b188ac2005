"""Re-record a CI gate from a fresh `rag eval` report, saying how it was recorded.

    python eval/generality/record_baseline.py REPORT.json BASELINE.json --command "rag eval ... --out REPORT.json"

The gate keeps the metrics it already checks (the baseline's own keys), takes their values from the report,
and gains a ``recorded`` block: the command, the commit, the date and the machine. CI (tests/test_eval_seeds.py)
fails when a run falls more than ``tolerance`` below any of them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("report", type=Path)
    ap.add_argument("baseline", type=Path)
    ap.add_argument("--command", required=True, help="the rag eval command that wrote the report")
    args = ap.parse_args()
    report = json.loads(args.report.read_text())
    gate = json.loads(args.baseline.read_text())
    gate["metrics"] = {k: report["metrics"][k] for k in gate["metrics"] if report["metrics"].get(k) is not None}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    gate["recorded"] = {
        "command": args.command,
        "commit": commit,
        "date": dt.date.today().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, Python {platform.python_version()}",
    }
    args.baseline.write_text(json.dumps(gate, indent=2) + "\n")
    print(json.dumps(gate["metrics"], indent=2))


if __name__ == "__main__":
    main()
