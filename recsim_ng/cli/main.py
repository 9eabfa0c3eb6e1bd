"""recsim_ng MODE --config=configs/NAME.py [--config.KEY=VALUE ...] [--quiet]
(or python -m recsim_ng MODE ...)

MODE: simulate, train, evaluate, fit, report or benchmark (those the config's application has;
report for every run). Examples:

  python -m recsim_ng simulate --config=configs/default.py
  python -m recsim_ng train --config=configs/recsim_v1.py:interest_evolution,slate_q
  python -m recsim_ng fit --config=configs/movielens.py --config.max_users=100

Each config file documents its keys; the run's files go to config.run_dir.
"""

from __future__ import annotations

import os
import sys
from typing import Sequence

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TensorFlow's start-up chatter out.

# pylint: disable=wrong-import-position
from absl import app, flags
from absl.flags import IllegalFlagValueError
from ml_collections import config_flags

from recsim_ng.cli import runner
from recsim_ng.cli.config_checks import ConfigError

_CONFIG = config_flags.DEFINE_config_file(
    "config", None, "A config file in configs/ (optionally FILE:ARGUMENT, e.g."
    " configs/recsim_v1.py:interest_evolution,slate_q).", lock_config=True)
_NO_CONFIG = "--config is required, e.g. --config=configs/default.py"
_QUIET = flags.DEFINE_bool("quiet", False, "No progress bars (for CI and logs).")


def main(argv: Sequence[str]) -> None:
    if len(argv) != 2:
        raise app.UsageError(f"give one mode, one of {list(runner.MODES)}, e.g."
                             " `python -m recsim_ng simulate --config=configs/default.py`; got"
                             f" {argv[1:]}")
    try:
        config = _CONFIG.value
        config.keys()  # ml_collections defers a failed load's error to the first access
    except OSError as error:
        sys.exit(f"recsim_ng: cannot load --config: {error}")
    try:
        summary = runner.run(argv[1], config, _QUIET.value)
    except ConfigError as error:
        sys.exit(f"recsim_ng: {error}")
    print(runner.summary_text(summary, runner.RunFolder(config.run_dir).path))


def _parse_flags(argv: list[str]) -> list[str]:
    """absl's parsing, with its and ml_collections' errors for bad flags said in one line."""
    asked_help = any(arg in ("-h", "--help", "--helpshort", "--helpfull") for arg in argv)
    if not asked_help and not any(arg == "--config" or arg.startswith("--config=")
                                  for arg in argv):
        sys.exit(f"recsim_ng: {_NO_CONFIG}")
    try:
        return flags.FLAGS(argv)
    except (IllegalFlagValueError, flags.Error) as error:
        sys.exit(f"recsim_ng: {error}")
    except OSError as error:  # overrides load the config file while parsing
        sys.exit(f"recsim_ng: cannot load --config: {error}")
    except (AttributeError, KeyError) as error:  # ml_collections' way of saying "no such key".
        reason: object = error
        while isinstance(reason, BaseException) and reason.args:
            reason = reason.args[0]
        overrides = [arg for arg in argv if arg.startswith("--config.")]
        sys.exit(f"recsim_ng: unknown config key {reason} (in {overrides})")


def run() -> None:
    """Console-script entry point."""
    sys.modules["__main__"].__doc__ = __doc__  # absl's --help and usage errors print it
    app.run(main, flags_parser=_parse_flags)


if __name__ == "__main__":
    run()
