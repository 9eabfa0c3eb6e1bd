"""A run folder: the resolved config, metrics, summary, plots, summaries and checkpoints of one
configured run, shared by its modes and never silently replaced.

    run_dir/config.json       the resolved config (a rerun with other settings is refused)
    run_dir/metrics.jsonl     one record per line (`recsim_ng.cli.plots.point`), every mode's
    run_dir/summary.csv       mode, metric, value: each mode's final figures
    run_dir/plots/*.png       drawn from metrics.jsonl
    run_dir/tensorboard/MODE  the records over time as TensorBoard scalars
    run_dir/<mode files>      checkpoints, trajectories, fitted parameters
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any, Iterable, Mapping

import pandas as pd

from recsim_ng.cli.config_checks import ConfigError
from recsim_ng.lib.files import atomic_writer

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
SUMMARY_FILE = "summary.csv"


class RunFolder:
    """The folder `path` of one run; `prepare` before any work."""

    def __init__(self, path: str):
        self.path = os.path.abspath(path)

    def file(self, *parts: str) -> str:
        """The path of `parts` inside the run folder, its folder made."""
        path = os.path.join(self.path, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def exists(self, *parts: str) -> bool:
        return os.path.exists(os.path.join(self.path, *parts))

    def prepare(self, settings: Mapping[str, Any], overwrite: bool,
                may_differ: Iterable[str] = (), store: bool = True) -> None:
        """Stores `settings` (flat, JSON-able) in a new run folder, or checks them against the
        stored ones: a rerun may differ only in `may_differ`; `overwrite` deletes the stored run
        first; `store=False` only checks. A folder of something else is never touched."""
        where = f"config.run_dir={self.path!r}"
        if os.path.exists(self.path) and not os.path.isdir(self.path):
            raise ConfigError(f"{where} is a file, not a folder")
        stored = self.stored_settings()
        if stored is None and os.path.isdir(self.path) and os.listdir(self.path):
            raise ConfigError(f"{where} is not empty and holds no {CONFIG_FILE}: not a run"
                              " folder; choose another config.run_dir")
        if stored is not None and overwrite:
            shutil.rmtree(self.path)
        elif stored is not None:
            differ = sorted(key for key in stored.keys() | settings.keys()
                            if key not in may_differ and stored.get(key) != settings.get(key))
            if differ:
                changes = ", ".join(f"config.{key} (stored {stored.get(key)!r}, asked"
                                    f" {settings.get(key)!r})" for key in differ[:4])
                raise ConfigError(f"{where} holds a run with other settings: {changes}; choose"
                                  " another config.run_dir or pass --config.overwrite=True to"
                                  " delete it")
        if not store:
            return
        os.makedirs(self.path, exist_ok=True)
        with atomic_writer(self.file(CONFIG_FILE), overwrite=True) as file:
            json.dump(dict(settings), file, indent=1, sort_keys=True, allow_nan=False)

    def stored_settings(self) -> dict[str, Any] | None:
        """The stored settings, or None in a folder without them."""
        if not self.exists(CONFIG_FILE):
            return None
        try:
            with open(os.path.join(self.path, CONFIG_FILE), encoding="utf-8") as file:
                return json.load(file)
        except (OSError, ValueError) as error:
            raise ConfigError(f"config.run_dir: cannot read {CONFIG_FILE} in {self.path!r}:"
                              f" {error}") from None

    def records(self) -> list[dict[str, Any]]:
        """The records in metrics.jsonl, each with its mode."""
        if not self.exists(METRICS_FILE):
            return []
        with open(os.path.join(self.path, METRICS_FILE), encoding="utf-8") as file:
            records = [json.loads(line) for line in file if line.strip()]
        return records

    def replace_records(self, mode: str, records: Iterable[Mapping[str, Any]]) -> None:
        """metrics.jsonl with `mode`'s records replaced by `records` (each given its mode)."""
        kept = [record for record in self.records() if record["mode"] != mode]
        with atomic_writer(self.file(METRICS_FILE), overwrite=True) as file:
            for record in [*kept, *({**record, "mode": mode} for record in records)]:
                file.write(json.dumps(record, allow_nan=False, sort_keys=True) + "\n")

    def summary(self) -> pd.DataFrame:
        """summary.csv: one row per mode and metric."""
        if not self.exists(SUMMARY_FILE):
            return pd.DataFrame(columns=["mode", "metric", "value"])
        return pd.read_csv(os.path.join(self.path, SUMMARY_FILE), dtype=str,
                           keep_default_na=False)

    def replace_summary(self, mode: str, summary: Mapping[str, Any]) -> None:
        """summary.csv with `mode`'s rows replaced by `summary`'s metrics."""
        kept = self.summary()
        kept = kept[kept["mode"] != mode]
        rows = pd.DataFrame([{"mode": mode, "metric": metric, "value": value}
                             for metric, value in summary.items()])
        table = pd.concat([frame for frame in (kept, rows) if len(frame)], ignore_index=True)
        with atomic_writer(self.file(SUMMARY_FILE), overwrite=True) as file:
            table.to_csv(file, index=False)
