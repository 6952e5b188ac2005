"""What a benchmark ran on: CPU model, cores, memory, load average and package versions.

Shared by every benchmark so their results files describe the machine the same way.
"""

from __future__ import annotations

import contextlib
import os
import platform
from collections.abc import Iterable
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo ("unknown" where there is none, e.g. not Linux)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def ram_gb() -> float | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    return None


def cores() -> int | None:
    return os.cpu_count()


def cores_usable() -> int | None:
    """Cores this process may run on (a container or taskset may allow fewer than the machine has)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def package_version(name: str) -> str | None:
    try:
        return importlib_metadata.version(name)
    except importlib_metadata.PackageNotFoundError:
        return None


def package_versions(names: Iterable[str]) -> dict[str, str | None]:
    return {name: package_version(name) for name in names}


def machine_info(packages: Iterable[str] = ()) -> dict[str, Any]:
    """CPU, cores, memory, Python and the versions of ``packages``, as the retrieval benchmark records them."""
    return {
        "nproc": cores(),
        "nproc_affinity": cores_usable(),
        "cpu": cpu_model(),
        "ram_gb": ram_gb(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(packages),
    }
