"""The migration guide's ported programs: each runs and prints sound results, and the guide shows
exactly the file that runs here."""

import pathlib
import re
import runpy

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "migrating_from_recsim_ng.md"
PROGRAMS = ROOT / "docs" / "migration"


def run(name: str, capsys) -> dict[str, list[float]]:
    """Runs a program; returns the numbers it printed, by the text before the colon."""
    runpy.run_path(str(PROGRAMS / f"{name}.py"), run_name="__main__")
    printed = {}
    for line in capsys.readouterr().out.splitlines():
        label, _, numbers = line.partition(":")
        printed[label] = [float(x) for x in re.findall(r"-?\d+\.\d+", numbers)]
    return printed


@pytest.mark.parametrize("name", ["ecosystem_simulation", "latent_variable_model_learning",
                                  "interest_evolution"])
def test_the_guide_shows_the_program_that_runs(name):
    program = (PROGRAMS / f"{name}.py").read_text()
    assert f"```python\n{program}```" in GUIDE.read_text()


def test_ecosystem_simulation(capsys):
    printed = run("ecosystem_simulation", capsys)
    (one_run,), (mean, stderr) = printed["one run"], printed["Average user utility"]
    # A user's utility per step is N(2 - distance, 1) after a click, so below 2 on average.
    assert one_run < 2 * 20 and mean < 2 * 20
    assert 0 < stderr < abs(mean)


def test_latent_variable_model_learning(capsys):
    printed = run("latent_variable_model_learning", capsys)
    (truth,), (fitted,) = printed["ground-truth log-likelihood"], printed["fitted log-likelihood"]
    # The maximum likelihood is at least the truth's, and 20 users x 10 steps pin the mean
    # sensitivity to about 0.003 (per-user standard errors near 0.012).
    assert truth <= fitted < 0
    assert printed["mean fitted sensitivity"][0] == pytest.approx(0.8, abs=0.02)


def test_interest_evolution(capsys):
    printed = run("interest_evolution", capsys)
    (reward,) = printed["mean cumulative reward after 20 steps"]
    curve = printed["mean cumulative reward per training step"]
    # Rewards are consumed times, each at most a document's length (2) per step.
    assert 0 < reward <= 2 * 20
    assert len(curve) == 10 and all(0 < r <= 2 * 20 for r in curve)
