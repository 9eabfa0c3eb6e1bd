"""Timing our workloads and RecSim NG's back to back, interleaved, in one run.

The machines these run on are shared and drift by up to 2x between runs, so a speed ratio is only
meaningful between figures measured in the same run. RecSim NG's side runs the scripts in
`../shared/upstream_bench/` (each re-executes itself in RecSim NG's own virtual environment; set it
up once with `bash ../shared/upstream_bench/setup.sh`); ours runs in a fresh process per case.
Every measured case is printed as one JSON line as soon as it finishes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pathlib
import statistics
import subprocess
import sys
from typing import Any, Callable, Iterable

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
UPSTREAM_BENCH = pathlib.Path(os.environ.get("UPSTREAM_BENCH",
                                             REPOSITORY.parent / "shared" / "upstream_bench"))

Case = Callable[[], dict[str, Any]]


def upstream(script: str, **flags: Any) -> dict[str, Any]:
    """One run of an upstream benchmark script with `--flag value` arguments; its JSON result."""
    path = UPSTREAM_BENCH / script
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: set UPSTREAM_BENCH to the upstream_bench folder")
    arguments = [str(path)] + [item for name, value in flags.items()
                               for item in (f"--{name}", str(value))]
    done = subprocess.run([sys.executable, *arguments], capture_output=True, text=True,
                          check=False, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise RuntimeError(f"{script} failed ({done.returncode}): {done.stderr[-2000:]}")
    return {"side": script, **json.loads(lines[-1])}


def ours(function: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """`function(*args)` (a module-level function) in a fresh process; its result."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return {"side": "ours", **pool.apply(function, args)}


def interleaved(cases: dict[str, Case], rounds: int) -> dict[str, list[dict[str, Any]]]:
    """Each case once per round, in order, for `rounds` rounds; every result printed."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in cases}
    for round_index in range(rounds):
        for name, case in cases.items():
            result = {"case": name, "round": round_index, **case()}
            results[name].append(result)
            print(json.dumps(result), flush=True)
    return results


def median(results: Iterable[dict[str, Any]], key: str) -> float:
    return statistics.median(result[key] for result in results)


def spread(results: Iterable[dict[str, Any]], key: str) -> str:
    """`low-high` of a key over rounds, for tables."""
    values = [result[key] for result in results]
    return f"{min(values):,.4g}-{max(values):,.4g}"
