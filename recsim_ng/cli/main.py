"""`python -m recsim_ng --config=configs/default.py`: simulate and summarise a configured run."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Sequence

from absl import app, flags
from ml_collections import ConfigDict, config_flags
import numpy as np

from recsim_ng.examples.reference_network import reference_network
from recsim_ng.lib import memory, seeds
from recsim_ng.lib.checks import check_size
from recsim_ng.lib.files import check_writable
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.trajectory_io import save_trajectory

_CONFIG = config_flags.DEFINE_config_file("config", None, "Path of a config file in configs/.",
                                          lock_config=True)
_SIZES = ("num_users", "num_topics", "num_docs", "slate_size")
_KEYS = {*_SIZES, "horizon", "seed", "jit_compile", "output", "overwrite"}


class ConfigError(ValueError):
    """A config that cannot run; the message names the key as `config.<key>`."""


def check_config(config: ConfigDict) -> None:
    """Checks every key's type and range, and that `output` can be written, before any work."""
    try:
        _check_config(config)
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _check_config(config: ConfigDict) -> None:
    for problem, keys in (("unknown", set(config.keys()) - _KEYS),
                          ("missing", _KEYS - set(config.keys()))):
        if keys:
            raise ValueError(f"{problem} config keys {[f'config.{key}' for key in sorted(keys)]}")
    for key in _SIZES:
        check_size(f"config.{key}", config[key])
    if config.slate_size > config.num_docs:
        raise ValueError(f"config.slate_size must be <= config.num_docs={config.num_docs}, got"
                         f" {config.slate_size}")
    check_size("config.horizon", config.horizon, minimum=2)  # Clicks come after step 0.
    if config.horizon > memory.MAX_STEPS:
        raise ValueError(f"config.horizon must be <= {memory.MAX_STEPS}, got {config.horizon}")
    check_size("config.seed", config.seed, minimum=0)
    try:
        seeds.as_seed(config.seed)
    except ValueError as error:
        raise ValueError(f"config.seed: {error}") from None
    for key in ("jit_compile", "overwrite"):
        if not isinstance(config[key], bool):
            raise ValueError(f"config.{key} must be True or False, got {config[key]!r}")
    if not isinstance(config.output, str):
        raise ValueError(f"config.output must be a path or '', got {config.output!r}")
    if config.output:
        try:
            check_writable(config.output, config.overwrite)
        except FileExistsError:
            raise ValueError(f"config.output: {config.output!r} exists; set"
                             " --config.overwrite=True to replace it") from None
        except OSError as error:
            raise ValueError(f"config.output: {error}") from None


def simulate(config: ConfigDict) -> dict[str, Any]:
    """Checks `config`, runs it, saves the trajectory to `config.output` (if set) and returns the
    summary: click rate with its standard error, run time."""
    check_config(config)
    network = reference_network(config.num_users, num_topics=config.num_topics,
                                num_docs=config.num_docs, slate_size=config.slate_size)
    kept = ({variable.name: list(variable.spec.as_dict) for variable in network.variables}
            if config.output else {"user": ["clicks"]})  # Unsaved, only clicks are needed.
    needed = memory.trajectory_bytes(config.horizon, [
        network.variable(name).spec.as_dict[field] for name, fields in kept.items()
        for field in fields])
    try:
        memory.check_fits(f"config.horizon={config.horizon}", needed,
                          advice="; lower config.horizon or config.num_users")
    except ValueError as error:
        raise ConfigError(str(error)) from None
    runtime = TFRuntime(network, jit_compile=config.jit_compile)
    start = time.perf_counter()
    trajectory = runtime.trajectory(config.horizon, config.seed, fields=kept)
    clicks = trajectory["user"].get("clicks").numpy()[-1]
    elapsed = time.perf_counter() - start
    if config.output:
        save_trajectory(config.output, trajectory, overwrite=config.overwrite)
    rate = clicks / (config.horizon - 1)
    return {
        "users": config.num_users,
        "horizon": config.horizon,
        "seed": config.seed,
        "click_rate_mean": round(float(rate.mean()), 4),
        "click_rate_stderr": round(float(rate.std(ddof=1) / np.sqrt(rate.size)), 4)
        if rate.size > 1 else None,
        "seconds_including_compile": round(elapsed, 2),
        "trajectory_file": config.output or None,
    }


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    config = _CONFIG.value
    if config is None:
        raise app.UsageError("--config is required, e.g. --config=configs/default.py")
    try:
        summary = simulate(config)
    except ConfigError as error:
        raise app.UsageError(str(error)) from None
    print(json.dumps(summary, allow_nan=False))


def _parse_flags(argv: list[str]) -> list[str]:
    try:
        return flags.FLAGS(argv)
    except (AttributeError, KeyError) as error:  # ml_collections' way of saying "no such key".
        reason: object = error
        while isinstance(reason, BaseException) and reason.args:
            reason = reason.args[0]
        overrides = [arg for arg in argv if arg.startswith("--config.")]
        sys.exit(f"unknown config key {reason} (in {overrides})")


def run() -> None:
    """Console-script entry point."""
    app.run(main, flags_parser=_parse_flags)


if __name__ == "__main__":
    run()
