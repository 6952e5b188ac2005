"""Load and start-up benchmark of the web chat, against the real server.

    python benchmarks/bench_ui.py                      # extractive and local, 12 chats each, 3 start-ups
    python benchmarks/bench_ui.py --backends extractive --clients 16

For each backend it starts ``python app.py --backend B`` on a free loopback
port, warms it up with one chat (model loading is reported, not counted),
then fires N simultaneous chats through gradio_client, one thread and one
Client each, every one with a distinct question. Every answer must come back
to the thread that asked (the final ``query`` is the question that thread
sent, and its citations point at passages retrieved for it); nothing may be
lost. It reports throughput (answers/s over the whole burst), p50/p95
latency, time to the first streamed update, and how many answers contain the
expected key phrase (for information; accuracy is measured by `rag eval`).

Start-up: ``python app.py`` (default backend) until the page is served with
an existing index, median of ``--startup-runs``.

Results: a table on stdout, benchmarks/results/ui.json and ui.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
QUESTIONS = ROOT / "data" / "questions.jsonl"

ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env(index_dir: Path) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    return e | ENV | {"RAG_INDEX_DIR": str(index_dir)}


def ensure_index(index_dir: Path) -> None:
    if (index_dir / "manifest.json").exists():
        return
    print(f"building the bench index in {index_dir} …", file=sys.stderr)
    subprocess.run(
        [sys.executable, "-m", "rag.cli", "index", "--index", str(index_dir)], env=env(index_dir), check=True
    )


class Server:
    def __init__(self, index_dir: Path, backend: str | None, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        args = [sys.executable, str(ROOT / "app.py"), "--port", str(self.port)]
        if backend:
            args += ["--backend", backend]
        self.log = log
        self._out = log.open("wb")
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env(index_dir), stdout=self._out, stderr=subprocess.STDOUT)

    def wait(self, timeout: float = 120) -> float:
        while time.perf_counter() - self.t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited ({self.proc.returncode}): {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        return time.perf_counter() - self.t0
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"not served after {timeout}s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


def load_questions(n: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    facts = [r for r in rows if r.get("kind") == "fact" and r.get("question")]
    if len(facts) < n:
        raise SystemExit(f"need {n} distinct questions, {QUESTIONS} has {len(facts)}")
    step = len(facts) / n  # spread over the corpus rather than the first few of one article
    return [facts[int(i * step)] for i in range(n)]


def one_chat(url: str, q: dict[str, Any], barrier: threading.Barrier, out: dict[str, Any]) -> None:
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
        barrier.wait()
        t0 = time.perf_counter()
        job = client.submit(question=q["question"], history=[], api_name="/chat")
        first = evidence = first_text = None
        ahead = 0
        n_updates = 0
        for update in job:
            n_updates += 1
            now = time.perf_counter() - t0
            if first is None:
                first = now
            if evidence is None and isinstance(update, dict) and update.get("evidence"):
                evidence, ahead = now, int(update["evidence"].get("ahead") or 0)
            if first_text is None and isinstance(update, dict) and update.get("answer"):
                first_text = now
        final = job.result()
        out.update(
            latency=time.perf_counter() - t0,
            first_update=first,
            evidence=evidence,
            first_text=first_text,
            ahead=ahead,
            updates=n_updates,
            final=final,
        )
    except Exception as exc:  # noqa: BLE001 - a lost answer is a result
        out.update(error=f"{type(exc).__name__}: {exc}")


def burst(url: str, questions: list[dict[str, Any]], timeout: float) -> dict[str, Any]:
    n = len(questions)
    barrier = threading.Barrier(n + 1)
    outs: list[dict[str, Any]] = [{} for _ in range(n)]
    threads = [
        threading.Thread(target=one_chat, args=(url, q, barrier, o), daemon=True)
        for q, o in zip(questions, outs, strict=True)
    ]
    for t in threads:
        t.start()
    barrier.wait(timeout=120)
    t0 = time.perf_counter()
    for t in threads:
        t.join(timeout=max(1.0, timeout - (time.perf_counter() - t0)))
    wall = time.perf_counter() - t0

    lost, mixed, hits = [], [], 0
    latencies, firsts, evidences, texts = [], [], [], []
    for q, o in zip(questions, outs, strict=True):
        final = o.get("final")
        if not isinstance(final, dict) or not final.get("done"):
            lost.append({"id": q["id"], "error": o.get("error", "no final answer")})
            continue
        # the answer belongs to this thread: the searched query is the question it sent
        if final.get("query") != " ".join(q["question"].split()):
            mixed.append({"id": q["id"], "got_query": final.get("query")})
            continue
        latencies.append(o["latency"])
        if o.get("first_update") is not None:
            firsts.append(o["first_update"])
        if o.get("evidence") is not None:
            evidences.append(o["evidence"])
        if o.get("first_text") is not None:
            texts.append(o["first_text"])
        answer = final.get("answer", "").lower()
        if any(a.lower() in answer for a in q.get("answers", [])):
            hits += 1
    done = len(latencies)
    return {
        "clients": n,
        "completed": done,
        "lost": lost,
        "mixed_up": mixed,
        "wall_s": round(wall, 2),
        "throughput_answers_per_s": round(done / wall, 3) if wall else None,
        "latency_p50_s": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95_s": round(percentile(latencies, 95), 2) if latencies else None,
        "latency_max_s": round(max(latencies), 2) if latencies else None,
        "first_update_p50_s": round(statistics.median(firsts), 2) if firsts else None,
        "evidence_p50_s": round(statistics.median(evidences), 2) if evidences else None,
        "evidence_p95_s": round(percentile(evidences, 95), 2) if evidences else None,
        "first_text_p50_s": round(statistics.median(texts), 2) if texts else None,
        "most_ahead": max((int(o.get("ahead") or 0) for o in outs), default=0),
        "key_phrase_hits": hits,
        "answers": {q["id"]: (o.get("final") or {}).get("answer") for q, o in zip(questions, outs, strict=True)},
    }


def percentile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    if len(s) == 1:
        return s[0]
    pos = (len(s) - 1) * p / 100
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def bench_backend(index_dir: Path, backend: str, n: int, logs: Path, timeout: float) -> dict[str, Any]:
    from gradio_client import Client

    server = Server(index_dir, backend, logs / f"ui-{backend}.log")
    try:
        served = server.wait()
        t0 = time.perf_counter()
        warm = Client(server.url, verbose=False).predict(question="Who is Sergey Lavrov?", history=[], api_name="/chat")
        warm_s = time.perf_counter() - t0
        assert warm.get("done"), warm
        print(f"  {backend}: page served in {served:.1f}s, first answer (model loads) {warm_s:.1f}s", file=sys.stderr)
        questions = load_questions(n)
        result = burst(server.url, questions, timeout)
        if backend == "local":  # greedy decoding: an answer given under load must be the one it gets alone
            alone = {
                q["id"]: Client(server.url, verbose=False).predict(
                    question=q["question"], history=[], api_name="/chat"
                )["answer"]
                for q in questions
            }
            result["same_as_alone"] = sum(result["answers"][i] == a for i, a in alone.items())
        return {"backend": backend, "startup_s": round(served, 2), "warmup_first_answer_s": round(warm_s, 2)} | result
    finally:
        server.stop()


def bench_startup(index_dir: Path, runs: int, logs: Path) -> dict[str, Any]:
    times = []
    for i in range(runs):
        server = Server(index_dir, None, logs / f"ui-startup-{i}.log")  # the default backend, as `python app.py`
        try:
            times.append(server.wait())
        finally:
            server.stop()
        print(f"  start-up run {i + 1}: {times[-1]:.2f}s", file=sys.stderr)
    return {"runs": [round(t, 2) for t in times], "median_s": round(statistics.median(times), 2), "target_s": 15}


def markdown(res: dict[str, Any]) -> str:
    lines = [
        "# Web chat load and start-up",
        "",
        f"Machine: {res['machine']}. Generated by `python benchmarks/bench_ui.py` on {res['date']}.",
        "",
        f"Start-up (`python app.py` until the page is served, existing index, default backend): median "
        f"**{res['startup']['median_s']} s** over {len(res['startup']['runs'])} runs {res['startup']['runs']} "
        f"(target < {res['startup']['target_s']} s). The embedding model and the local LLM load in the background "
        "after the page is up; the page says so until they are ready.",
        "",
        f"Load: {res['clients']} simultaneous chats through gradio_client (one thread and Client each, distinct "
        "questions), after one warm-up chat. An answer counts only if its final `query` is the question that thread "
        "sent.",
        "",
        "| backend | chats | completed | lost | mixed up | wall s | answers/s | p50 s | p95 s | max s | "
        "key statements p50 / p95 s | first checked text p50 s | most ahead | same as alone | key phrase in answer |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["load"]:
        lines.append(
            f"| {r['backend']} | {r['clients']} | {r['completed']} | {len(r['lost'])} | {len(r['mixed_up'])} | "
            f"{r['wall_s']} | {r['throughput_answers_per_s']} | {r['latency_p50_s']} | {r['latency_p95_s']} | "
            f"{r['latency_max_s']} | {r['evidence_p50_s']} / {r['evidence_p95_s']} | {r['first_text_p50_s']} | "
            f"{r['most_ahead']} | {r.get('same_as_alone', '–')} | {r['key_phrase_hits']}/{r['clients']} |"
        )
    lines += [
        "",
        "Concurrency: `/chat` and the page's chat event allow 16 at once (`concurrency_limit=16`), `/retrieve` 8. "
        "The local model generates one answer at a time behind its lock, so with it chats queue and latency grows "
        "with the queue; retrieval and the extractive backend run in parallel.",
        "",
    ]
    for r in res["load"]:
        lines.append(
            f"- {r['backend']}: page served {r['startup_s']} s after launch; first answer (waits for model loading) "
            f"{r['warmup_first_answer_s']} s."
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backends", default="extractive,local")
    p.add_argument("--clients", type=int, default=12)
    p.add_argument("--startup-runs", type=int, default=3)
    p.add_argument("--index", type=Path, default=Path(tempfile.gettempdir()) / "rag-bench-ui-index")
    p.add_argument("--timeout", type=float, default=900, help="seconds for one burst")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args()
    if args.clients < 1:
        raise SystemExit("--clients must be positive")

    ensure_index(args.index)
    logs = Path(tempfile.mkdtemp(prefix="bench-ui-logs-"))
    print(f"start-up × {args.startup_runs} (logs in {logs})", file=sys.stderr)
    startup = bench_startup(args.index, args.startup_runs, logs) if args.startup_runs else None
    load = []
    for b in [x.strip() for x in args.backends.split(",") if x.strip()]:
        print(f"load: {args.clients} chats on {b}", file=sys.stderr)
        load.append(bench_backend(args.index, b, args.clients, logs, args.timeout))

    res = {
        "machine": f"{os.cpu_count()} CPU cores, {platform.machine()}, Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d"),
        "clients": args.clients,
        "startup": startup,
        "load": load,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ui.json").write_text(json.dumps(res, indent=2) + "\n")
    md = markdown(res) if startup else json.dumps(res, indent=2)
    (args.out / "ui.md").write_text(md)
    print(md)
    bad = [r["backend"] for r in load if r["lost"] or r["mixed_up"]]
    if bad:
        print(f"FAIL: answers lost or mixed up on {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
