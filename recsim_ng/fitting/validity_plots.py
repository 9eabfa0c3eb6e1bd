"""Figures of the validity report: the real log (solid) against the simulated one (dashed).

Drawn on `matplotlib.figure.Figure` with the Agg canvas, so no pyplot state is touched; each
PNG is written atomically and an existing one is kept unless `overwrite=True`.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import ScalarFormatter

from recsim_ng.data.event_log import EventLog
from recsim_ng.fitting import validity
from recsim_ng.fitting.report_files import save_figure
from recsim_ng.lib.files import check_writable

REAL = {"color": "C0", "linestyle": "-"}
SIMULATED = {"color": "C1", "linestyle": "--"}
MAX_TOPICS = 6  # topics drawn in the topic-share figure: the largest pooled shares


def _figure(title: str, columns: int = 1) -> tuple[Figure, list]:
    figure = Figure(figsize=(6.5 * columns, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title)
    return figure, [figure.add_subplot(1, columns, k + 1) for k in range(columns)]


def _ecdf(axes, values: np.ndarray, style: dict, label: str) -> None:
    """The empirical CDF of `values` as a step line (a legend entry saying "none" if empty)."""
    values = np.sort(np.asarray(values, np.float64))
    if not len(values):
        axes.plot([], [], **style, label=f"{label} (none)")
    else:
        axes.step(np.r_[values[0], values], np.r_[0.0, np.arange(1, len(values) + 1)
                                                  / len(values)], where="post", **style,
                  label=f"{label} (n={len(values)})")
    axes.set_ylim(0, 1.02)
    axes.set_ylabel("fraction at most x")
    axes.grid(alpha=0.3)


def _gap_figure(real: np.ndarray, simulated: np.ndarray, session_gap: float) -> Figure:
    figure, (axes,) = _figure("Time between a user's consecutive events")
    _ecdf(axes, real, REAL, "real")
    _ecdf(axes, simulated, SIMULATED, "simulated")
    axes.axvline(session_gap, color="grey", linestyle=":", label=f"session gap ({session_gap:g} s)")
    axes.set_xscale("symlog", linthresh=1.0)
    axes.set_xlim(left=0)
    axes.set_xlabel("gap (seconds, linear below 1 s, log above)")
    axes.legend()
    return figure


def _session_figure(real: np.ndarray, simulated: np.ndarray, session_gap: float) -> Figure:
    figure, (axes,) = _figure(f"Session length (a new session after > {session_gap:g} s idle)")
    _ecdf(axes, real, REAL, "real")
    _ecdf(axes, simulated, SIMULATED, "simulated")
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(ScalarFormatter())
    axes.set_xlabel("events per session (log scale)")
    axes.legend()
    return figure


def _diversity_figure(real: pd.DataFrame, simulated: pd.DataFrame) -> Figure:
    figure, (entropy, distinct) = _figure("Topic diversity per user", columns=2)
    _ecdf(entropy, real["entropy"], REAL, "real")
    _ecdf(entropy, simulated["entropy"], SIMULATED, "simulated")
    entropy.set_xlabel("entropy of the user's topic mix (nats)")
    entropy.set_title("Topic entropy")
    entropy.legend()
    most = max(np.max(frame["top_topics"].to_numpy(), initial=1) for frame in (real, simulated))
    counts = np.arange(1, most + 1)
    for offset, frame, style, label in ((-0.2, real, REAL, "real"),
                                        (0.2, simulated, SIMULATED, "simulated")):
        shares = frame["top_topics"].value_counts(normalize=True).reindex(counts, fill_value=0)
        distinct.bar(counts + offset, shares.to_numpy(), width=0.4, color=style["color"],
                     hatch="//" if style is SIMULATED else None, label=f"{label} (n={len(frame)})")
    distinct.set_xlabel("distinct top topics among the user's items")
    distinct.set_ylabel("fraction of users")
    distinct.set_title("Distinct top topics")
    distinct.legend()
    return figure


def _topic_figure(real: np.ndarray, simulated: np.ndarray, names: Sequence[str]) -> Figure:
    figure, (axes,) = _figure("Topic shares over each user's history")
    num_bins = len(real)
    centres = (np.arange(num_bins) + 0.5) / num_bins
    for colour, topic in enumerate(np.argsort(-(real.mean(0) + simulated.mean(0)))[:MAX_TOPICS]):
        axes.plot(centres, real[:, topic], color=f"C{colour}", marker="o")
        axes.plot(centres, simulated[:, topic], color=f"C{colour}", marker="s", linestyle="--")
        axes.plot([], [], color=f"C{colour}", label=names[topic])
    axes.plot([], [], color="black", label="real (solid)")
    axes.plot([], [], color="black", linestyle="--", label="simulated (dashed)")
    axes.set_xticks(centres, [f"{100 * b // num_bins}-{100 * (b + 1) // num_bins}%"
                              for b in range(num_bins)])
    axes.set_xlabel("position in the user's history (earliest to latest events)")
    axes.set_ylabel("share of the bin's events")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", ncol=2)
    return figure


def _slot_figure(real: pd.DataFrame, simulated: pd.DataFrame) -> Figure:
    figure, (axes,) = _figure("Click-through rate by slot (95% Wilson intervals)")
    slots = sorted(set(real.index) | set(simulated.index))
    place = {slot: k for k, slot in enumerate(slots)}
    for offset, table, style, label in ((-0.1, real, REAL, "real"),
                                        (0.1, simulated, SIMULATED, "simulated")):
        x = np.array([place[slot] for slot in table.index]) + offset
        bars = axes.errorbar(x, table["ctr"], yerr=[table["ctr"] - table["lower"],
                                                     table["upper"] - table["ctr"]],
                             fmt="o" if style is REAL else "s", color=style["color"], capsize=4,
                             label=f"{label} ({int(table['impressions'].sum())} impressions)")
        bars[-1][0].set_linestyle(style["linestyle"])
    axes.set_xticks(range(len(slots)), [f"{slot:g}" for slot in slots])
    axes.set_xlabel("slot (position as logged)")
    axes.set_ylabel("click-through rate")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend()
    return figure


def plot_comparisons(real: EventLog, simulated: EventLog, folder: str | os.PathLike,
                     topics: np.ndarray | None = None, topic_names: Sequence[str] | None = None,
                     session_gap: float = 3600.0, num_bins: int = 5,
                     overwrite: bool = False) -> list[str]:
    """Writes the figures into `folder` (made if missing) and returns their paths.

    `gaps.png` and `session_lengths.png` always; `diversity.png` and `topic_shares.png` with
    `topics`; `click_through_by_slot.png` when both logs have `click` and `position`. Every
    path is checked before anything is drawn: an existing file raises FileExistsError unless
    `overwrite`.
    """
    validity.check_comparable(real, simulated)
    gap_real, gap_simulated = validity.gaps(real), validity.gaps(simulated)
    sessions = [validity.session_lengths(log, session_gap) for log in (real, simulated)]
    drawings: dict[str, Callable[[], Figure]] = {
        "gaps.png": lambda: _gap_figure(gap_real, gap_simulated, session_gap),
        "session_lengths.png": lambda: _session_figure(*sessions, session_gap)}
    if topics is not None:
        diverse = [validity.diversity(log, topics) for log in (real, simulated)]
        names = validity.topic_labels(topics, topic_names)
        shares = [validity.topic_shares_over_time(log, topics, num_bins)
                  for log in (real, simulated)]
        drawings["diversity.png"] = lambda: _diversity_figure(*diverse)
        drawings["topic_shares.png"] = lambda: _topic_figure(*shares, names)
    if validity.has_slots(real) and validity.has_slots(simulated):
        slots = [validity.click_through_by_slot(log) for log in (real, simulated)]
        drawings["click_through_by_slot.png"] = lambda: _slot_figure(*slots)
    os.makedirs(folder, exist_ok=True)
    paths = {name: check_writable(os.path.join(folder, name), overwrite) for name in drawings}
    for name, draw in drawings.items():
        save_figure(draw(), paths[name], overwrite)
    return list(paths.values())
