"""`python -m recsim_ng MODE --config=configs/NAME.py [--config.KEY=VALUE ...] [--quiet]`.

MODE is one of simulate, train, evaluate, fit, report, benchmark (those the config's application
has, and report for all). Every key is checked before any work; the run's files go to
`config.run_dir`, and the same command resumes an interrupted run there.
"""

from __future__ import annotations

import sys
from typing import Sequence

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
        if config is not None:
            config.keys()  # ml_collections defers a failed load's error to the first access
    except OSError as error:
        sys.exit(f"recsim_ng: cannot load --config: {error}")
    if config is None:
        sys.exit(f"recsim_ng: {_NO_CONFIG}")
    try:
        summary = runner.run(argv[1], config, _QUIET.value)
    except ConfigError as error:
        sys.exit(f"recsim_ng: {error}")
    print(runner.summary_text(summary, runner.RunFolder(config.run_dir).path))


def _parse_flags(argv: list[str]) -> list[str]:
    """absl's parsing, with its and ml_collections' errors for bad flags said in one line."""
    if not any(arg == "--config" or arg.startswith("--config=") for arg in argv):
        sys.exit(f"recsim_ng: {_NO_CONFIG}")
    try:
        return flags.FLAGS(argv)
    except (IllegalFlagValueError, flags.Error) as error:
        sys.exit(f"recsim_ng: {error}")
    except (AttributeError, KeyError) as error:  # ml_collections' way of saying "no such key".
        reason: object = error
        while isinstance(reason, BaseException) and reason.args:
            reason = reason.args[0]
        overrides = [arg for arg in argv if arg.startswith("--config.")]
        sys.exit(f"recsim_ng: unknown config key {reason} (in {overrides})")


def run() -> None:
    """Console-script entry point."""
    app.run(main, flags_parser=_parse_flags)


if __name__ == "__main__":
    run()
