"""What benchmarks and experiment reports record about the machine and library versions."""

from __future__ import annotations

import importlib
import os
import platform
import resource
from typing import Any, Sequence


def machine_info(packages: Sequence[str] = ("tensorflow", "tensorflow_probability")
                 ) -> dict[str, Any]:
    """CPU count and model, memory, Python and the given packages' versions."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo
                         if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    info: dict[str, Any] = {"cpu_count": os.cpu_count(), "cpu_model": model,
                            "memory_gib": round(memory_gib, 1),
                            "python": platform.python_version()}
    for package in packages:
        info[f"{package}_version"] = importlib.import_module(package).__version__
    return info


def peak_rss_gib() -> float:
    """This process's peak resident memory."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
