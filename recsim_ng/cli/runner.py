"""One mode of one configured run: check everything, prepare the run folder, do the work, then
write metrics, summary, TensorBoard scalars and plots (`python -m recsim_ng MODE --config=...`).
"""

from __future__ import annotations

import os
import shutil
from types import ModuleType
from typing import Any, Iterable, Mapping

import pandas as pd
import tensorflow as tf
from ml_collections import ConfigDict

from recsim_ng.cli import jobs, plots
from recsim_ng.cli.config_checks import ConfigError, check_config, flat_keys, one_of
from recsim_ng.cli.progress import Progress
from recsim_ng.cli.run_folder import RunFolder

MODES = ("simulate", "train", "evaluate", "fit", "report", "benchmark")


def check(mode: str, config: ConfigDict) -> ModuleType:
    """The application module of `config` once `mode` and every key are valid for it."""
    try:
        one_of(*MODES)("mode", mode)
    except ValueError as error:
        raise ConfigError(str(error)) from None
    check_config(ConfigDict({"application": config.get("application")}),
                 {"application": jobs.COMMON_KEYS["application"]})
    job = jobs.application(config.application)
    supported = [*job.MODES, "report"]
    if mode not in supported:
        raise ConfigError(f"config.application={config.application!r} has no mode {mode!r};"
                          f" its modes: {supported}")
    check_config(config, {**jobs.COMMON_KEYS, **job.KEYS})
    if hasattr(job, "check"):
        job.check(config)
    if hasattr(job, "check_mode"):
        job.check_mode(mode, config)
    return job


def run(mode: str, config: ConfigDict, quiet: bool = False) -> pd.DataFrame:
    """Runs `mode` on `config` and returns the run's summary table (every mode run so far)."""
    job = check(mode, config)
    folder = RunFolder(config.run_dir)
    settings = {key: value for key, value in flat_keys(config).items() if key != "overwrite"}
    if mode == "report":
        if folder.stored_settings() is None:
            raise ConfigError(f"config.run_dir={config.run_dir!r} holds no run to report; run"
                              " another mode first")
        folder.prepare(settings, overwrite=False, may_differ=job.MAY_DIFFER, store=False)
    else:
        folder.prepare(settings, config.overwrite, job.MAY_DIFFER)
        outcome = job.MODES[mode](config, folder, Progress(quiet))
        folder.replace_records(mode, outcome.records)
        folder.replace_summary(mode, outcome.summary)
        scalars = folder.file("tensorboard", mode, "")
        shutil.rmtree(scalars)  # this run's curves replace the mode's earlier ones
        _write_scalars(scalars, outcome.records)
    plots.draw(folder.records(), folder.file("plots", ""))
    return folder.summary()


def _write_scalars(log_dir: str, records: Iterable[Mapping[str, Any]]) -> None:
    """The line figures' records as TensorBoard scalars `figure/series` at step x."""
    writer = tf.summary.create_file_writer(log_dir)
    with writer.as_default():
        for record in records:
            if plots.FIGURES[record["figure"]].kind == "lines":
                tf.summary.scalar(f"{record['figure']}/{record['series']}", record["y"],
                                  step=int(record["x"]))
    writer.close()


def summary_text(summary: pd.DataFrame, folder: str) -> str:
    """The summary table and where the run's files are, for the terminal."""
    plot_folder = os.path.join(folder, "plots")
    pngs = sorted(name for name in os.listdir(plot_folder)) if os.path.isdir(plot_folder) else []
    shown = summary.assign(value=summary["value"].map(_short))
    lines = [shown.to_string(index=False), f"run folder: {folder}",
             f"plots ({len(pngs)}): {plot_folder}{os.sep} {', '.join(pngs)}" if pngs
             else "plots: none"]
    return "\n".join(lines)


def _short(value: str) -> str:
    """A number to 6 significant digits; anything else as it is."""
    try:
        return f"{float(value):.6g}" if value.strip() and not value.isdigit() else value
    except ValueError:
        return value
