"""The Bernoulli bandits demo (`recsim_ng.applications.bandits_demo`): each chosen algorithm's
pseudo-regret over time on the same bandits (`simulate`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from ml_collections import ConfigDict

from recsim_ng.applications.bandits_demo import ALGORITHMS, MEANS, pseudo_regret_curve
from recsim_ng.cli import config_checks as checks
from recsim_ng.cli.jobs import ModeOutcome
from recsim_ng.cli.plots import point
from recsim_ng.cli.progress import Progress
from recsim_ng.cli.run_folder import RunFolder
from recsim_ng.lib import memory

PLOTTED_PULLS = 200  # points per curve in the figure and TensorBoard (the summary is exact)


def algorithm_names(value: str) -> list[str]:
    """The algorithms of the comma-separated `value`, in its order."""
    return [name.strip() for name in value.split(",")]


def _algorithms(name: str, value: Any) -> None:
    """A comma-separated, non-empty list of distinct keys of `ALGORITHMS`."""
    checks.text(name, value)
    names = algorithm_names(value)
    for algorithm in names:
        checks.one_of(*ALGORITHMS)(f"each algorithm in {name}", algorithm)
    if len(set(names)) != len(names):
        raise ValueError(f"{name} names an algorithm twice: {value!r}")


KEYS: dict[str, checks.Check] = {
    "num_bandits": checks.size(2),  # a standard error needs two bandits
    "horizon": checks.size(1, memory.MAX_STEPS),  # pulls, counted by the compiled loop
    "algorithms": _algorithms,
}
MAY_DIFFER = ()


def simulate(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """Per algorithm, one compiled simulation of all bandits (the same seed, hence the same arm
    rewards): the mean pseudo-regret after each pull with its 95% band, and the final one with
    its standard error."""
    del folder
    names = algorithm_names(config.algorithms)
    pulls = np.unique(np.linspace(1, config.horizon, min(config.horizon, PLOTTED_PULLS),
                                  dtype=np.int64))
    summary: dict[str, Any] = {"bandits": config.num_bandits, "horizon": config.horizon,
                               "arm_means": ",".join(map(str, MEANS))}
    records = []
    with progress.bar(len(names), "simulating algorithms", unit="algorithm") as bar:
        for name in names:
            bar.set_postfix(algorithm=name)
            curve = pseudo_regret_curve(name, MEANS, config.num_bandits, config.horizon,
                                        config.seed)
            records += [point("regret_over_time", name, pull, curve.mean[pull - 1],
                              1.96 * curve.standard_error[pull - 1]) for pull in pulls]
            summary[f"final_regret_mean/{name}"] = float(curve.mean[-1])
            summary[f"final_regret_stderr/{name}"] = float(curve.standard_error[-1])
            bar.update()
    return ModeOutcome(summary, records)


MODES = {"simulate": simulate}
