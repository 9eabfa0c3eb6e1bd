"""`python -m recsim_ng simulate --config=configs/bandits.py`: pseudo-regret curves of the
chosen algorithms, their plot, and refused algorithm lists."""

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ("--config.num_bandits=5", "--config.horizon=20",
        "--config.algorithms=UCB1,Thompson sampling")
LARGEST_GAP = 0.4  # arm means 0.1 .. 0.5: a pull costs at most 0.4 pseudo-regret


def run_cli(mode: str, run_dir, *overrides: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "recsim_ng", mode, "--config=configs/bandits.py",
                           f"--config.run_dir={run_dir}", "--quiet", *overrides], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_simulate_writes_each_algorithms_curve_summary_and_plot_and_report_redraws_it(tmp_path):
    run_dir = tmp_path / "run"
    result = run_cli("simulate", run_dir, *TINY)
    assert result.returncode == 0, result.stderr
    summary = pd.read_csv(run_dir / "summary.csv").set_index("metric")["value"]
    for algorithm in ("UCB1", "Thompson sampling"):
        final = float(summary[f"final_regret_mean/{algorithm}"])
        assert 0 < final <= LARGEST_GAP * 20
        assert float(summary[f"final_regret_stderr/{algorithm}"]) > 0
    assert "final_regret_mean/KL-UCB" not in summary.index  # only the chosen algorithms run
    with open(run_dir / "metrics.jsonl", encoding="utf-8") as file:
        records = [json.loads(line) for line in file]
    for algorithm in ("UCB1", "Thompson sampling"):
        curve = sorted((r for r in records if r["series"] == algorithm), key=lambda r: r["x"])
        assert [r["x"] for r in curve] == list(range(1, 21))
        regrets = [r["y"] for r in curve]
        assert all(later >= earlier for earlier, later in zip(regrets, regrets[1:]))  # cumulative
        assert regrets[-1] == pytest.approx(float(summary[f"final_regret_mean/{algorithm}"]))
        assert all(r["ci95"] is not None and r["ci95"] >= 0 for r in curve)
    assert (run_dir / "plots" / "regret_over_time.png").stat().st_size > 0
    os.remove(run_dir / "plots" / "regret_over_time.png")
    report = run_cli("report", run_dir, *TINY)
    assert report.returncode == 0, report.stderr
    assert (run_dir / "plots" / "regret_over_time.png").stat().st_size > 0


@pytest.mark.parametrize("algorithms, message", [
    ("UCB1,UCB2", "got 'UCB2' (did you mean 'UCB1'?)"),
    ("UCB1, UCB1", "names an algorithm twice"),
])
def test_a_bad_algorithm_list_is_refused_before_any_work(tmp_path, algorithms, message):
    result = run_cli("simulate", tmp_path / "run", f"--config.algorithms={algorithms}")
    assert result.returncode != 0
    assert "config.algorithms" in result.stderr and message in result.stderr
    assert not (tmp_path / "run").exists()
