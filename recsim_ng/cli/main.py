"""`python -m recsim_ng --config=configs/default.py`: simulate and summarise a configured run."""

from __future__ import annotations

import json
import sys
import time
from typing import Sequence

from absl import app, flags
from ml_collections import config_flags
import numpy as np

from recsim_ng.examples.reference_network import reference_network
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.trajectory_io import save_trajectory

_CONFIG = config_flags.DEFINE_config_file("config", None, "Path of a config file in configs/.",
                                          lock_config=True)


def main(argv: Sequence[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    config = _CONFIG.value
    if config is None:
        raise app.UsageError("--config is required, e.g. --config=configs/default.py")
    network = reference_network(config.num_users, num_topics=config.num_topics,
                                num_docs=config.num_docs, slate_size=config.slate_size)
    runtime = TFRuntime(network, jit_compile=config.jit_compile)
    start = time.perf_counter()
    trajectory = runtime.trajectory(config.horizon, config.seed)
    clicks = trajectory["user"].get("clicks").numpy()[-1]
    elapsed = time.perf_counter() - start
    if config.output:
        save_trajectory(config.output, trajectory)
    rate = clicks / max(config.horizon - 1, 1)
    print(json.dumps({
        "users": config.num_users,
        "horizon": config.horizon,
        "seed": config.seed,
        "click_rate_mean": round(float(rate.mean()), 4),
        "click_rate_stderr": round(float(rate.std(ddof=1) / np.sqrt(rate.size)), 4)
        if rate.size > 1 else None,
        "seconds_including_compile": round(elapsed, 2),
        "trajectory_file": config.output or None,
    }))


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
