"""The benchmark workloads of BENCHMARKS.md (`benchmark`): the repository's `benchmarks/*.py`
timing functions, each round in a fresh process, optionally interleaved with RecSim's own side
(`benchmarks/side_by_side.py`) for a speed ratio measured in the same run.

The scripts live in the repository's `benchmarks/` folder, not in the package: this job loads
them from there, so it needs a clone of the repository.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import os
import statistics
import sys
from types import ModuleType
from typing import Any, Callable, NamedTuple

from ml_collections import ConfigDict

from recsim_ng.cli import config_checks as checks
from recsim_ng.cli.jobs import ModeOutcome
from recsim_ng.lib.files import atomic_writer
from recsim_ng.cli.progress import Progress
from recsim_ng.cli.run_folder import RunFolder
from recsim_ng.lib.machine import machine_info

BENCHMARKS_FOLDER = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))),
    "benchmarks")
ROUNDS_FILE = "rounds.jsonl"  # every round's raw result, one JSON line each, as the scripts print
Case = Callable[[], dict[str, Any]]


class Workload(NamedTuple):
    """A workload: its script in `benchmarks/`, the modes it runs in, the result field holding
    seconds per call, and the venv of `upstream_bench` RecSim's side needs (None: it has none)."""
    script: str
    modes: tuple[str, ...]
    seconds: str
    upstream_venv: str | None
    upstream_name: str = "RecSim NG 0.1.2"


WORKLOADS = {
    "interest_evolution": Workload("interest_evolution", ("graph", "xla"), "steady_s", "ng"),
    "latent_em": Workload("latent_em", ("xla",), "steady_iteration_s", "ng"),
    "reinforce_step": Workload("training_and_ecosystem", ("graph", "xla"), "steady_s", "ng"),
    "ecosystem_run": Workload("training_and_ecosystem", ("graph", "xla"), "steady_s", "ng"),
    "adapters": Workload("adapter_throughput", ("graph", "xla", "gym"), "steady_s", "v1",
                         "RecSim v1 (one user per environment)"),
    "streaming_memory": Workload("streaming_memory", ("graph", "xla"), "seconds", None),
}
ADAPTERS = {"graph": "tf_agents", "xla": "tf_agents_xla", "gym": "gym"}  # adapters' mode names
KEYS: dict[str, checks.Check] = {
    "workload": checks.one_of(*WORKLOADS),
    "users": checks.size(),
    "mode": checks.one_of("graph", "xla", "gym"),
    "shards": checks.size(),
    "repeats": checks.size(),
    "rounds": checks.size(),
    "with_upstream": checks.boolean,
}
MAY_DIFFER = ("repeats", "rounds", "with_upstream")


def script(name: str) -> ModuleType:
    """`benchmarks/<name>.py`, imported by name with `benchmarks/` on the path (as the scripts
    import `side_by_side`, and so that their fresh processes find them)."""
    if BENCHMARKS_FOLDER not in sys.path:
        sys.path.insert(0, BENCHMARKS_FOLDER)
    return importlib.import_module(name)


def check(config: ConfigDict) -> None:
    """The scripts are there; the mode, users, shards and repeats fit the workload; RecSim's side
    is set up where `with_upstream`."""
    workload = WORKLOADS[config.workload]
    if not os.path.isfile(os.path.join(BENCHMARKS_FOLDER, workload.script + ".py")):
        raise checks.ConfigError(
            f"config.workload={config.workload!r}: the benchmarks need a clone of the repository"
            f" (no {workload.script}.py in {BENCHMARKS_FOLDER}; an installed package has no"
            " benchmarks/ folder)")
    if config.mode not in workload.modes:
        raise checks.ConfigError(f"config.mode must be one of {list(workload.modes)} for"
                                 f" config.workload={config.workload!r}, got {config.mode!r}")
    if config.workload == "latent_em" and config.users != script("latent_em").NUM_USERS:
        raise checks.ConfigError(f"config.users must be {script('latent_em').NUM_USERS} for"
                                 " config.workload='latent_em' (RecSim NG's demo size), got"
                                 f" {config.users}")
    if config.workload == "interest_evolution" and config.users % config.shards:
        raise checks.ConfigError(f"config.shards must divide config.users={config.users}, got"
                                 f" {config.shards}")
    if config.workload != "interest_evolution" and config.shards != 1:
        raise checks.ConfigError(f"config.shards must be 1 for config.workload="
                                 f"{config.workload!r} (only interest_evolution runs in shards),"
                                 f" got {config.shards}")
    if config.workload == "streaming_memory" and config.repeats != 1:
        raise checks.ConfigError("config.repeats must be 1 for config.workload='streaming_memory'"
                                 " (one run per process, compile included; more runs:"
                                 f" config.rounds), got {config.repeats}")
    if config.with_upstream:
        _check_upstream(config.workload, workload)


def _check_upstream(name: str, workload: Workload) -> None:
    """RecSim's side runs: `upstream_bench` is where `side_by_side` looks for it, and the
    virtual environment its scripts re-execute in (`_bench_util.VENVS`) exists."""
    if workload.upstream_venv is None:
        raise checks.ConfigError(f"config.with_upstream must be False for config.workload="
                                 f"{name!r}: it has no RecSim counterpart to time")
    folder = script("side_by_side").UPSTREAM_BENCH
    util_path = os.path.join(folder, "_bench_util.py")
    if not os.path.isfile(util_path):
        raise checks.ConfigError(
            f"config.with_upstream=True needs RecSim's benchmark scripts in {folder} (set"
            " UPSTREAM_BENCH to the upstream_bench folder), or set config.with_upstream=False")
    spec = importlib.util.spec_from_file_location("_bench_util", util_path)
    util = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(util)
    venv = util.VENVS[workload.upstream_venv]
    if not os.path.isfile(os.path.join(venv, "bin", "python")):
        raise checks.ConfigError(
            f"config.with_upstream=True needs {workload.upstream_name}'s virtual environment"
            f" {venv}, which is missing: run `bash {os.path.join(folder, 'setup.sh')}` once, or"
            " set config.with_upstream=False")


def _cases(config: ConfigDict) -> tuple[Case, Case | None]:
    """Our side (in a fresh process) and RecSim's (None: none), as the workload's script times
    them."""
    users, mode, repeats = int(config.users), str(config.mode), int(config.repeats)
    module = script(WORKLOADS[config.workload].script)
    ours = script("side_by_side").ours
    if config.workload == "interest_evolution":
        return (lambda: ours(module.our_case, users, mode, repeats, int(config.shards)),
                lambda: module.upstream_case(users, "graph", repeats))
    if config.workload == "latent_em":  # the first iteration is timed apart from `repeats`
        return (lambda: ours(module.our_case, repeats + 1),
                lambda: module.upstream_case(repeats + 1))
    if config.workload == "reinforce_step":
        return (lambda: ours(module.our_training_step, mode, repeats, users),
                lambda: module.upstream_training_step(repeats, users))
    if config.workload == "ecosystem_run":
        return (lambda: ours(module.our_ecosystem_run, mode, repeats, users),
                lambda: module.upstream_ecosystem_run(repeats, users))
    if config.workload == "adapters":
        return (lambda: ours(module.run_case, ADAPTERS[mode], users, module.STEPS, repeats),
                module.recsim_v1_case)
    return lambda: ours(module.case, users, mode, False), None  # streaming, not the trajectory


def benchmark(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """`rounds` rounds of the workload (each in a fresh process; with `with_upstream`, RecSim's
    side right after ours in every round): seconds per call and user-steps per second (median,
    min and max over rounds, each round the median of `repeats` steady calls), and the speed
    ratio of the medians. Every round's raw result goes to `rounds.jsonl`."""
    workload = WORKLOADS[config.workload]
    ours, upstream = _cases(config)
    cases = {"ours": ours, **({"upstream": upstream} if config.with_upstream else {})}
    side_by_side = script("side_by_side")
    with progress.bar(config.rounds * len(cases), f"{config.workload} rounds",
                      unit="case") as bar, atomic_writer(folder.file(ROUNDS_FILE),
                                                         overwrite=True) as lines:
        def ticking(name: str, case: Case) -> Case:
            def run() -> dict[str, Any]:
                result = case()
                bar.set_postfix({name: result.get("user_steps_per_s",
                                                  result.get(workload.seconds))})
                bar.update()
                return result
            return run

        print(json.dumps(machine_info()), file=lines, flush=True)
        with contextlib.redirect_stdout(lines):  # side_by_side prints each round's result
            results = side_by_side.interleaved(
                {name: ticking(name, case) for name, case in cases.items()}, config.rounds)
    summary: dict[str, Any] = {
        "workload": config.workload, "users": config.users, "mode": config.mode,
        "shards": config.shards, "repeats": config.repeats, "rounds": config.rounds,
        **_figures("", results["ours"], workload.seconds)}
    if config.with_upstream:
        summary.update({"upstream": workload.upstream_name,
                        **_figures("upstream_", results["upstream"], workload.seconds)})
        summary.update(_ratio(summary))
    return ModeOutcome(summary, [])


def _figures(prefix: str, rounds: list[dict[str, Any]], seconds: str) -> dict[str, float]:
    """Median, min and max over rounds of the seconds per call and user-steps per second (where
    the side reports them), the median first call, the largest peak memory."""
    figures: dict[str, float] = {}
    for field, name in ((seconds, "seconds_per_call"), ("user_steps_per_s",
                                                        "user_steps_per_second")):
        values = [result[field] for result in rounds if field in result]
        if values:
            figures.update({f"{prefix}{name}_median": float(statistics.median(values)),
                            f"{prefix}{name}_min": float(min(values)),
                            f"{prefix}{name}_max": float(max(values))})
    for field, name, combine in (
            ("first_call_s", "first_call_seconds_median", statistics.median),
            ("first_iteration_s", "first_call_seconds_median", statistics.median),  # latent_em
            ("peak_rss_gib", "peak_memory_gib_max", max)):
        values = [result[field] for result in rounds if field in result]
        if values:
            figures[f"{prefix}{name}"] = float(combine(values))
    return figures


def _ratio(summary: dict[str, Any]) -> dict[str, Any]:
    """How many times faster ours is: in user-steps per second where both sides report them
    (RecSim v1 reports only those), else in seconds per call (the same work on both sides)."""
    if "upstream_user_steps_per_second_median" in summary:
        return {"speed_ratio": summary["user_steps_per_second_median"]
                / summary["upstream_user_steps_per_second_median"],
                "speed_ratio_of": "user-steps per second, medians"}
    return {"speed_ratio": summary["upstream_seconds_per_call_median"]
            / summary["seconds_per_call_median"],
            "speed_ratio_of": "seconds per call, medians"}


MODES = {"benchmark": benchmark}
