"""The runner's figures: every mode records points of named figures, and each figure is drawn
from the records alone (so `report` redraws them without running anything).

A record is `{"figure", "series", "x", "y", "ci95"}`; `FIGURES` says how each figure is drawn.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from typing import Any, Iterable, Mapping, NamedTuple

import numpy as np
from matplotlib.figure import Figure

from recsim_ng.fitting.report_files import save_figure


class FigureKind(NamedTuple):
    """How a figure is drawn: `lines` (x numeric, a band where ci95 is given) or `bars` (x a
    category, error bars where ci95 is given)."""
    kind: str
    title: str
    xlabel: str
    ylabel: str


FIGURES: dict[str, FigureKind] = {
    "reward_over_time": FigureKind("lines", "Reward over time (95% CI)", "step",
                                   "mean reward per user"),
    "learning_curve": FigureKind("lines", "Learning curve (95% CI)", "environment steps",
                                 "mean return per episode"),
    "interest_trajectories": FigureKind("lines", "User interest over time", "step",
                                        "mean interest"),
    "provider_trajectories": FigureKind("lines", "Content providers over time", "step",
                                        "mean value"),
    "regret_over_time": FigureKind("lines", "Pseudo-regret over time (95% CI)", "step",
                                   "mean cumulative pseudo-regret"),
    "click_through_by_slot": FigureKind("bars", "Click-through by slate slot (95% CI)", "slot",
                                        "click-through rate"),
    "choice_by_slot": FigureKind("bars", "Choice by slate slot", "slot", "share of choices"),
    "rating_histogram": FigureKind("bars", "Ratings", "rating", "share of ratings"),
    "fitted_vs_real": FigureKind("bars", "Fitted versus real", "statistic", "value"),
    "estimates_vs_truth": FigureKind("bars", "Estimates versus truth (95% CI)", "parameter",
                                     "value"),
}


def point(figure: str, series: str, x: float | int | str, y: float,
          ci95: float | None = None) -> dict[str, Any]:
    """One record of `figure` (a key of `FIGURES`)."""
    if figure not in FIGURES:
        raise KeyError(f"unknown figure {figure!r}; known: {sorted(FIGURES)}")
    finite_ci = ci95 is not None and math.isfinite(ci95)  # e.g. no spread from one sample
    return {"figure": figure, "series": series, "x": _plain(x), "y": float(y),
            "ci95": float(ci95) if finite_ci else None}


def over_time(figure: str, series: str, samples: np.ndarray,
              first_step: int = 1) -> list[dict[str, Any]]:
    """Records of `figure` from `samples` `[steps, users]` (NaN: a user no longer there): at each
    step with a user, the users' mean and its 95% normal half-width (none for one user)."""
    records = []
    for step, row in enumerate(np.asarray(samples, dtype=np.float64)):
        present = row[~np.isnan(row)]
        if present.size:
            ci95 = 1.96 * present.std(ddof=1) / np.sqrt(present.size) if present.size > 1 else None
            records.append(point(figure, series, first_step + step, present.mean(), ci95))
    return records


def choice_shares(series: str, choices: np.ndarray, slate_size: int) -> list[dict[str, Any]]:
    """`choice_by_slot` records: the share of `choices` (slot indices, `slate_size` for none)
    at each slot and at "none"."""
    choices = np.asarray(choices).ravel()
    shares = np.bincount(choices, minlength=slate_size + 1) / choices.size
    return [point("choice_by_slot", series, slot if slot < slate_size else "none", share)
            for slot, share in enumerate(shares)]


def _plain(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def draw(records: Iterable[Mapping[str, Any]], folder: str) -> list[str]:
    """One PNG per figure in `records` under `folder` (replacing earlier ones); their paths.
    A figure drawn by several modes names each series' mode."""
    records = list(records)
    modes: dict[str, set[str]] = defaultdict(set)
    for record in records:
        modes[record["figure"]].add(record.get("mode", ""))
    by_figure: dict[str, dict[str, list[Mapping[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for record in records:
        label = record["series"]
        if len(modes[record["figure"]]) > 1:
            label = f"{label} ({record['mode']})"
        by_figure[record["figure"]][label].append(record)
    paths = []
    for name, series in sorted(by_figure.items()):
        path = os.path.join(folder, f"{name}.png")
        os.makedirs(folder, exist_ok=True)
        save_figure(_figure(FIGURES[name], series), path, overwrite=True)
        paths.append(path)
    return paths


def _figure(kind: FigureKind, series: Mapping[str, list[Mapping[str, Any]]]) -> Figure:
    figure = Figure(figsize=(7.5, 4.2), layout="constrained")
    axes = figure.add_subplot()
    colours = [f"C{index % 10}" for index in range(len(series))]
    if kind.kind == "lines":
        for colour, (label, points) in zip(colours, series.items()):
            points = sorted(points, key=lambda record: record["x"])
            x = np.array([record["x"] for record in points], dtype=float)
            y = np.array([record["y"] for record in points])
            axes.plot(x, y, color=colour, label=label, marker="o" if len(x) < 30 else None)
            if all(record["ci95"] is not None for record in points):
                half = np.array([record["ci95"] for record in points])
                axes.fill_between(x, y - half, y + half, color=colour, alpha=0.2, linewidth=0)
    else:
        categories = list(dict.fromkeys(str(record["x"]) for points in series.values()
                                        for record in points))
        width = 0.8 / len(series)
        for index, (colour, (label, points)) in enumerate(zip(colours, series.items())):
            at = {str(record["x"]): record for record in points}
            x = np.array([categories.index(key) for key in at]) + (index - (len(series) - 1) / 2) * width
            errors = [record["ci95"] for record in at.values()]
            axes.bar(x, [record["y"] for record in at.values()], width, color=colour,
                     label=label, yerr=None if None in errors else errors, capsize=3)
        axes.set_xticks(range(len(categories)), categories,
                        rotation=30 if max(map(len, categories)) > 6 else 0)
    axes.set(title=kind.title, xlabel=kind.xlabel, ylabel=kind.ylabel)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", loc="best")
    return figure
