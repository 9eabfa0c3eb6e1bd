"""`python -m recsim_ng benchmark --config=configs/benchmarks.py:WORKLOAD` on tiny sizes: every
workload times the repository's benchmarks/*.py functions, RecSim's side is interleaved when asked
(here a stand-in upstream_bench whose script reports a known rate), and bad inputs are refused."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from recsim_ng.cli import runner
from recsim_ng.cli.config_checks import ConfigError
from recsim_ng.cli.jobs import benchmarks

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = "configs/benchmarks.py"
TINY = {"users": 10, "repeats": 1, "rounds": 1}
WORKLOADS = {  # tiny overrides of each workload, beside TINY
    "interest_evolution": {"shards": 1, "mode": "graph"},
    "latent_em": {"users": 5},
    "reinforce_step": {"mode": "graph"},
    "ecosystem_run": {},
    "adapters": {"mode": "graph"},
    "streaming_memory": {"mode": "graph"},
}
V1_STEPS_PER_S = 1000.0  # what the stand-in RecSim v1 script reports


def run_cli(workload: str, run_dir, env: dict[str, str] | None = None,
            **overrides) -> subprocess.CompletedProcess:
    """The CLI on `workload` at TINY sizes, in `env` (None: this process's environment)."""
    keys = [f"--config.{key}={value}" for key, value in {**TINY, **overrides}.items()]
    return subprocess.run([sys.executable, "-m", "recsim_ng", "benchmark",
                           f"--config={CONFIG}:{workload}", f"--config.run_dir={run_dir}",
                           "--quiet", *keys], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env=env)


def fake_upstream_bench(folder) -> dict[str, str]:
    """An upstream_bench folder whose RecSim v1 script reports `V1_STEPS_PER_S` and whose venvs
    exist; the environment pointing side_by_side at it."""
    folder.mkdir()
    (folder / "venv" / "bin").mkdir(parents=True)
    (folder / "venv" / "bin" / "python").write_text("")
    (folder / "_bench_util.py").write_text(
        f"VENVS = {{'ng': {str(folder / 'venv')!r}, 'v1': {str(folder / 'venv')!r}}}\n")
    (folder / "bench_v1_env.py").write_text(
        f"import json\nprint(json.dumps({{'steps_per_s': {V1_STEPS_PER_S}}}))\n")
    return {**os.environ, "UPSTREAM_BENCH": str(folder)}


def summary_of(run_dir) -> dict[str, str]:
    with open(run_dir / "summary.csv", newline="", encoding="utf-8") as file:
        return {row["metric"]: row["value"] for row in csv.DictReader(file)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every workload's tiny run without upstream, and adapters with the stand-in upstream, three
    at a time (each is mostly starting TensorFlow twice, waiting on its fresh process, and
    compiling)."""
    base = tmp_path_factory.mktemp("benchmarks")
    jobs = {name: (name, base / name, None, overrides) for name, overrides in WORKLOADS.items()}
    jobs["adapters_with_upstream"] = ("adapters", base / "adapters_with_upstream",
                                      fake_upstream_bench(base / "upstream_bench"),
                                      {**WORKLOADS["adapters"], "with_upstream": True})
    with ThreadPoolExecutor(3) as pool:
        futures = {name: pool.submit(run_cli, workload, run_dir, env, **overrides)
                   for name, (workload, run_dir, env, overrides) in jobs.items()}
        return {name: (futures[name].result(), jobs[name][1]) for name in jobs}


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_each_workload_reports_positive_throughput(runs, workload):
    done, run_dir = runs[workload]
    assert done.returncode == 0, done.stderr[-3000:]
    figures = summary_of(run_dir)
    assert figures["workload"] == workload and int(figures["rounds"]) == 1
    for key in ("median", "min", "max"):
        assert float(figures[f"seconds_per_call_{key}"]) > 0
    assert (float(figures["seconds_per_call_min"]) <= float(figures["seconds_per_call_median"])
            <= float(figures["seconds_per_call_max"]))
    if workload in ("interest_evolution", "adapters", "streaming_memory"):
        assert float(figures["user_steps_per_second_median"]) > 0
    assert "speed_ratio" not in figures
    with open(run_dir / benchmarks.ROUNDS_FILE, encoding="utf-8") as file:
        lines = [json.loads(line) for line in file]
    assert "cpu_count" in lines[0]  # the machine, then one line per round
    assert [line["side"] for line in lines[1:]] == ["ours"]


def test_with_upstream_interleaves_recsims_side_and_reports_the_ratio(runs):
    done, run_dir = runs["adapters_with_upstream"]
    assert done.returncode == 0, done.stderr[-3000:]
    figures = summary_of(run_dir)
    assert float(figures["upstream_user_steps_per_second_median"]) == V1_STEPS_PER_S
    assert float(figures["speed_ratio"]) == pytest.approx(
        float(figures["user_steps_per_second_median"]) / V1_STEPS_PER_S, rel=1e-6)
    with open(run_dir / benchmarks.ROUNDS_FILE, encoding="utf-8") as file:
        assert [json.loads(line).get("case") for line in file][1:] == ["ours", "upstream"]


def test_unknown_workload_is_refused_with_a_suggestion(tmp_path):
    done = run_cli("interest_evolutio", tmp_path / "run")
    assert done.returncode != 0
    assert "config.workload" in done.stderr and "did you mean 'interest_evolution'" in done.stderr
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(not os.path.isfile(os.path.join(
    benchmarks.script("side_by_side").UPSTREAM_BENCH, "_bench_util.py")),
    reason="no upstream_bench here (the next test covers its absence)")
def test_with_upstream_without_recsims_environment_is_refused(tmp_path):
    """upstream_bench there, but no venv under PEERS_ROOT (its `_bench_util` reads it)."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PEERS_VENV_NG", "PEERS_VENV_V1")}
    env["PEERS_ROOT"] = str(tmp_path / "no_venvs")
    done = run_cli("ecosystem_run", tmp_path / "run", env=env, with_upstream=True)
    assert done.returncode != 0
    assert "config.with_upstream" in done.stderr and "setup.sh" in done.stderr, done.stderr
    assert not (tmp_path / "run").exists()


def test_with_upstream_without_upstream_bench_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(benchmarks.script("side_by_side"), "UPSTREAM_BENCH", tmp_path / "none")
    with pytest.raises(ConfigError, match="config.with_upstream=True needs RecSim's benchmark"):
        runner.run("benchmark", config_for("ecosystem_run", tmp_path / "run",
                                           with_upstream=True), quiet=True)
    assert not (tmp_path / "run").exists()


def config_for(workload: str, run_dir, **overrides):
    spec = importlib.util.spec_from_file_location("benchmarks_config", os.path.join(ROOT, CONFIG))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    config = module.get_config(workload)
    config.update({**TINY, **WORKLOADS.get(workload, {}), "run_dir": str(run_dir), **overrides})
    return config


@pytest.mark.parametrize("workload, overrides, named", [
    ("latent_em", {"mode": "graph"}, "config.mode"),
    ("interest_evolution", {"mode": "gym"}, "config.mode"),
    ("latent_em", {"users": 10}, "config.users"),
    ("interest_evolution", {"shards": 3}, "config.shards"),
    ("reinforce_step", {"shards": 2}, "config.shards"),
    ("streaming_memory", {"repeats": 2}, "config.repeats"),
    ("streaming_memory", {"with_upstream": True}, "config.with_upstream"),
])
def test_settings_a_workload_cannot_take_are_refused_before_work(tmp_path, workload, overrides,
                                                                 named):
    with pytest.raises(ConfigError, match=named):
        runner.run("benchmark", config_for(workload, tmp_path / "run", **overrides), quiet=True)
    assert not (tmp_path / "run").exists()


def test_without_the_repositorys_benchmarks_folder_the_workload_is_refused(tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(benchmarks, "BENCHMARKS_FOLDER", str(tmp_path / "installed"))
    with pytest.raises(ConfigError, match="config.workload=.*clone of the repository"):
        runner.run("benchmark", config_for("ecosystem_run", tmp_path / "run"), quiet=True)
    assert not (tmp_path / "run").exists()
