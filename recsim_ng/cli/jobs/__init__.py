"""The applications the runner knows, chosen by a config's `application` key.

Each is a module with
- `KEYS`: its config keys (beside `COMMON_KEYS`) and their checks;
- `MODES`: mode name -> `Mode`, the work of `python -m recsim_ng MODE`;
- `MAY_DIFFER`: keys a rerun in the same run folder may change (e.g. more training steps);
- optionally `check(config)`: checks across keys, raising `ConfigError`;
- optionally `check_mode(mode, config)`: whether `mode` can run on `config`, likewise.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Callable, NamedTuple

from ml_collections import ConfigDict

from recsim_ng.cli import config_checks as checks
from recsim_ng.core import Network
from recsim_ng.lib import memory
from recsim_ng.cli.progress import Progress
from recsim_ng.cli.run_folder import RunFolder

APPLICATIONS = {
    "reference_network": "recsim_ng.cli.jobs.reference_network",
    "recsim_v1": "recsim_ng.cli.jobs.recsim_v1",
    "interest_evolution": "recsim_ng.cli.jobs.interest_evolution",
    "ecosystem": "recsim_ng.cli.jobs.ecosystem",
    "latent_variable": "recsim_ng.cli.jobs.latent_variable",
    "soft_attributes": "recsim_ng.cli.jobs.soft_attributes",
    "bandits": "recsim_ng.cli.jobs.bandits",
    "real_logs": "recsim_ng.cli.jobs.real_logs",
    "benchmarks": "recsim_ng.cli.jobs.benchmarks",
}
COMMON_KEYS: dict[str, checks.Check] = {
    "application": checks.one_of(*APPLICATIONS),
    "seed": checks.seed,
    "run_dir": checks.folder,
    "overwrite": checks.boolean,
}


class ModeOutcome(NamedTuple):
    """What a mode leaves: its final figures and its records (`recsim_ng.cli.plots.point`)."""
    summary: dict[str, Any]
    records: list[dict[str, Any]]


Mode = Callable[[ConfigDict, RunFolder, Progress], ModeOutcome]


def application(name: str) -> ModuleType:
    """The module of application `name` (checked by `COMMON_KEYS`)."""
    return importlib.import_module(APPLICATIONS[name])



def check_trajectory_fits(config: ConfigDict, network: Network,
                          fields: dict[str, list[str]]) -> None:
    """A trajectory of `network`'s `fields` (variable -> field names) over `config.horizon`
    steps fits the memory; else a `ConfigError` naming the key. (Check the horizon against
    `memory.MAX_STEPS` in the job's KEYS.)"""
    needed = memory.trajectory_bytes(config.horizon, [
        network.variable(name).spec.as_dict[field] for name, names in fields.items()
        for field in names])
    try:
        memory.check_fits(f"config.horizon={config.horizon}", needed,
                          advice="; lower config.horizon or config.num_users")
    except ValueError as error:
        raise checks.ConfigError(str(error)) from None


def check_training_progress(mode: str, config: ConfigDict, trained: int, steps_key: str) -> None:
    """`evaluate` needs the run folder's training (`trained` steps) to reach `config.<steps_key>`
    and keeps it (no `overwrite`); `train` cannot ask for fewer steps than are trained, unless
    `overwrite` starts afresh."""
    asked = config[steps_key]
    where = f"config.run_dir={config.run_dir!r}"
    if mode == "evaluate" and config.overwrite:
        raise checks.ConfigError("config.overwrite=True would delete the training evaluate"
                                 " needs; drop it")
    if mode == "evaluate" and trained < asked:
        raise checks.ConfigError(f"{where} holds {trained} of config.{steps_key}={asked}"
                                 " training steps: run train first")
    if mode == "train" and not config.overwrite and trained > asked:
        raise checks.ConfigError(f"config.{steps_key}={asked} is below the {trained} steps"
                                 f" already trained in {where}; ask for at least {trained}, or"
                                 " pass --config.overwrite=True to start afresh")
