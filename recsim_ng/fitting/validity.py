"""Does a simulated log look like the real one? Per-log statistics and two-sample tests.

Each statistic is a function of one `EventLog`; `compare` computes it on the real log and on a
log simulated from a fitted model (same item catalogue) and tests whether the two agree:

| statistic | summary | distance | test |
|---|---|---|---|
| gap between a user's consecutive events (s) | mean | KS D; Wasserstein of log1p | KS |
| session length (events) | mean | KS D | two-sample KS |
| repeat consumption (item met before by the user) | rate | rate difference | two-proportion z |
| topic entropy per user (nats), distinct top topics | mean | KS D | two-sample KS |
| topic shares per bin of history, and pooled | lead topic's share | total variation | chi-square |
| click-through rate per slot, and pooled | rate | rate difference | chi-square |

Verdicts are per row at level 0.05 with no correction for the many rows: "consistent"
(p >= 0.05), "differs" (p < 0.05), "not applicable" (p is NaN: a log has no data for the row).
Degenerate cases: equal data in both logs (a constant statistic, zero repeats in both, the same
CTR of 0 or 1) give distance 0 and p = 1; users with a single event have no gaps, so logs of
only such users make the gap rows "not applicable", as is a history bin or slot that is empty
in either log. Caveats: events of one user are not
independent, so p-values are optimistic for long histories; KS on discrete values (session
lengths, topic counts) is conservative; topic "counts" are sums of topic weights (fractional
for multi-topic items). The Wasserstein row carries the KS row's p-value (KS is unchanged by
the monotone log1p), so its verdict repeats the KS one.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import special, stats

from recsim_ng.data.event_log import EventLog

LEVEL = 0.05
Z95 = float(stats.norm.ppf(0.975))
KS = "Kolmogorov-Smirnov D"
WASSERSTEIN = "Wasserstein of log1p(gap)"
RATE_DIFFERENCE = "rate difference (simulated - real)"
TOTAL_VARIATION = "total variation"


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One row of the report: summaries of both logs, a distance, a p-value and the verdict."""

    statistic: str
    real: float
    simulated: float
    distance: str
    value: float
    p_value: float
    verdict: str


def _ordered(log: EventLog) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(order, user, time, item): the events sorted by user then time (ties keep log order)."""
    events = log.events
    user = events["user_index"].to_numpy(np.int64)
    time = events["time"].to_numpy(np.float64)
    order = np.lexsort((time, user))
    return order, user[order], time[order], events["item_index"].to_numpy(np.int64)[order]


def _steps(user: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted user indices: each event's step within its user, and the user's length."""
    starts = np.flatnonzero(np.r_[True, user[1:] != user[:-1]]) if len(user) else np.zeros(0, int)
    lengths = np.diff(np.append(starts, len(user)))
    return np.arange(len(user)) - np.repeat(starts, lengths), np.repeat(lengths, lengths)


def gaps(log: EventLog) -> np.ndarray:
    """Seconds between each pair of consecutive events of one user (>= 0)."""
    _, user, time, _ = _ordered(log)
    return np.diff(time)[user[1:] == user[:-1]]


def session_lengths(log: EventLog, session_gap: float = 3600.0) -> np.ndarray:
    """Events per session; a session ends when the user's next event is > `session_gap` s later."""
    _, user, time, _ = _ordered(log)
    start = np.ones(len(user), bool)
    start[1:] = (user[1:] != user[:-1]) | (np.diff(time) > session_gap)
    return np.diff(np.append(np.flatnonzero(start), len(user)))


def repeats(log: EventLog) -> np.ndarray:
    """Per row of `log.events`: whether the user met the same item at an earlier event."""
    order, user, _, item = _ordered(log)
    repeated = np.zeros(len(order), bool)
    repeated[order] = pd.DataFrame({"user": user, "item": item}).duplicated().to_numpy()
    return repeated


def _topic_matrix(log: EventLog, topics: np.ndarray) -> np.ndarray:
    topics = np.asarray(topics, np.float64)
    if topics.ndim != 2 or topics.shape[0] != log.num_items:
        raise ValueError(f"topics must be [items, topics] with {log.num_items} rows (the"
                         f" catalogue), got shape {topics.shape}")
    if not np.isfinite(topics).all() or (topics < 0).any():
        raise ValueError("topic weights must be finite and non-negative")
    return topics


def diversity(log: EventLog, topics: np.ndarray) -> pd.DataFrame:
    """Per user: `entropy` (nats) of the topic mix and `top_topics`, indexed by `user_index`.

    The mix is the mean of the topic weights of the user's events (repeats count again),
    scaled to sum to 1; `top_topics` counts the distinct top topics (argmax, ties to the first
    topic) of the user's distinct items. Items without topic weight are ignored, and users
    with only such items are left out.
    """
    topics = _topic_matrix(log, topics)
    _, user, _, item = _ordered(log)
    mix = pd.DataFrame(topics[item]).groupby(user).sum()
    mass = mix.sum(axis=1).to_numpy()
    users = mix.index.to_numpy()[mass > 0]
    shares = mix.to_numpy()[mass > 0] / mass[mass > 0, None]
    has_topic = topics[item].sum(axis=1) > 0
    tops = pd.DataFrame({"user": user[has_topic],
                         "top": topics[item[has_topic]].argmax(axis=1)}).drop_duplicates()
    return pd.DataFrame({"entropy": special.entr(shares).sum(axis=1),
                         "top_topics": tops.groupby("user").size().reindex(users).to_numpy()},
                        index=pd.Index(users, name="user_index"))


def _topic_counts(log: EventLog, topics: np.ndarray, num_bins: int) -> np.ndarray:
    """`[bins, topics]` sums of topic weights of the events in each bin of history."""
    topics = _topic_matrix(log, topics)
    if num_bins < 1:
        raise ValueError(f"num_bins must be at least 1, got {num_bins}")
    _, user, _, item = _ordered(log)
    step, length = _steps(user)
    bins = step * num_bins // np.maximum(length, 1)
    return np.stack([topics[item[bins == b]].sum(axis=0) for b in range(num_bins)])


def _shares(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=-1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def topic_shares_over_time(log: EventLog, topics: np.ndarray, num_bins: int = 5) -> np.ndarray:
    """`[bins, topics]`: each topic's share of the events in each bin of a user's history.

    Event k (from 0) of a user with n events falls in bin floor(k * num_bins / n), so a single
    event is in bin 0; shares are topic weights summed over the bin's events, scaled to sum
    to 1 (a bin without events has all-zero shares).
    """
    return _shares(_topic_counts(log, topics, num_bins))


def wilson_interval(successes: np.ndarray, trials: np.ndarray,
                    z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (95% by default) for binomial rates; trials must be positive."""
    k, n = np.asarray(successes, np.float64), np.asarray(trials, np.float64)
    rate = k / n
    scale = 1 + z ** 2 / n
    centre = (rate + z ** 2 / (2 * n)) / scale
    half = z * np.sqrt(rate * (1 - rate) / n + z ** 2 / (4 * n ** 2)) / scale
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def has_slots(log: EventLog) -> bool:
    """Whether the log has the `click` and `position` columns click-through by slot needs."""
    return log.has("click") and log.has("position")


def click_through_by_slot(log: EventLog) -> pd.DataFrame:
    """Per position: `impressions`, `clicks`, `ctr` and its Wilson 95% `lower`/`upper`."""
    if not has_slots(log):
        raise ValueError("click-through by slot needs the log's 'click' and 'position' columns")
    table = log.events.groupby("position")["click"].agg(impressions="size", clicks="sum")
    table = table.astype(np.int64)
    table["ctr"] = table["clicks"] / table["impressions"]
    table["lower"], table["upper"] = wilson_interval(table["clicks"], table["impressions"])
    return table


def _row(statistic: str, real: float, simulated: float, distance: str, value: float,
         p_value: float) -> Comparison:
    p_value = min(max(float(p_value), 0.0), 1.0) if not math.isnan(p_value) else math.nan
    verdict = ("not applicable" if math.isnan(p_value) else
               "consistent" if p_value >= LEVEL else "differs")
    return Comparison(statistic, float(real), float(simulated), distance, float(value), p_value,
                      verdict)


def _mean(values: np.ndarray) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _ks(real: np.ndarray, simulated: np.ndarray) -> tuple[float, float]:
    """(D, p) of the two-sample KS test; NaN when either sample is empty."""
    if not len(real) or not len(simulated):
        return math.nan, math.nan
    result = stats.ks_2samp(real, simulated)
    return float(result.statistic), float(result.pvalue)


def _ks_row(statistic: str, real: np.ndarray, simulated: np.ndarray) -> Comparison:
    real, simulated = np.asarray(real, np.float64), np.asarray(simulated, np.float64)
    return _row(statistic, _mean(real), _mean(simulated), KS, *_ks(real, simulated))


def _gap_rows(real: np.ndarray, simulated: np.ndarray) -> list[Comparison]:
    name = "gap between a user's consecutive events (s)"
    value, p_value = _ks(real, simulated)
    wasserstein = (stats.wasserstein_distance(np.log1p(real), np.log1p(simulated))
                   if len(real) and len(simulated) else math.nan)
    return [_row(name, _mean(real), _mean(simulated), KS, value, p_value),
            _row(name, _mean(real), _mean(simulated), WASSERSTEIN, wasserstein, p_value)]


def _two_proportions(x1: float, n1: float, x2: float, n2: float) -> float:
    """Two-sided p-value of the pooled two-proportion z-test; 1 when both rates are 0 or 1."""
    if n1 == 0 or n2 == 0:
        return math.nan
    pooled = (x1 + x2) / (n1 + n2)
    if pooled in (0.0, 1.0):
        return 1.0
    z = (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return float(2 * stats.norm.sf(abs(z)))


def _repeat_row(real: np.ndarray, simulated: np.ndarray) -> Comparison:
    rates = _mean(real), _mean(simulated)
    p_value = _two_proportions(real.sum(), len(real), simulated.sum(), len(simulated))
    return _row("repeat consumption rate", *rates, RATE_DIFFERENCE, rates[1] - rates[0], p_value)


def _homogeneity(table: np.ndarray) -> float:
    """p-value of Pearson's chi-square test that both rows of `table` share one distribution.

    NaN when a row is empty; 1 when fewer than two columns have any mass (nothing can differ).
    """
    table = table[:, table.sum(axis=0) > 0]
    if (table.sum(axis=1) <= 0).any():
        return math.nan
    if table.shape[1] < 2:
        return 1.0
    return float(stats.chi2_contingency(table, correction=False).pvalue)


def _topic_rows(real: np.ndarray, simulated: np.ndarray,
                names: Sequence[str]) -> list[Comparison]:
    """Pooled and per-bin rows; summaries are the shares of the real log's leading topic."""
    lead = int(real.sum(axis=0).argmax())
    tables = [(f"topic shares, all events ({names[lead]} share)", real.sum(0), simulated.sum(0))]
    tables += [(f"topic shares, history bin {b + 1}/{len(real)} ({names[lead]} share)",
                real[b], simulated[b]) for b in range(len(real))]
    rows = []
    for name, counts_real, counts_simulated in tables:
        p_value = _homogeneity(np.stack([counts_real, counts_simulated]))
        shares_real, shares_simulated = _shares(counts_real), _shares(counts_simulated)
        distance = (0.5 * np.abs(shares_real - shares_simulated).sum()
                    if counts_real.sum() > 0 and counts_simulated.sum() > 0 else math.nan)
        rows.append(_row(name, shares_real[lead] if counts_real.sum() > 0 else math.nan,
                         shares_simulated[lead] if counts_simulated.sum() > 0 else math.nan,
                         TOTAL_VARIATION, distance, p_value))
    return rows


def _slot_rows(real: pd.DataFrame, simulated: pd.DataFrame) -> list[Comparison]:
    """Pooled and per-slot rows; a slot shown in one log only is "not applicable"."""
    counts = ["clicks", "impressions"]
    totals = [("click-through rate, all slots", real[counts].sum(), simulated[counts].sum())]
    slots = sorted(set(real.index) | set(simulated.index))
    totals += [(f"click-through rate, slot {slot:g}", real.loc[slot] if slot in real.index
                else None, simulated.loc[slot] if slot in simulated.index else None)
               for slot in slots]
    rows = []
    for name, row_real, row_simulated in totals:
        if row_real is None or row_simulated is None:
            ctr = [math.nan if r is None else r["clicks"] / r["impressions"]
                   for r in (row_real, row_simulated)]
            rows.append(_row(name, *ctr, RATE_DIFFERENCE, math.nan, math.nan))
            continue
        table = np.array([[r["clicks"], r["impressions"] - r["clicks"]]
                          for r in (row_real, row_simulated)], np.float64)
        ctr_real, ctr_simulated = table[:, 0] / table.sum(axis=1)
        rows.append(_row(name, ctr_real, ctr_simulated, RATE_DIFFERENCE,
                         ctr_simulated - ctr_real, _homogeneity(table)))
    return rows


def check_comparable(real: EventLog, simulated: EventLog) -> None:
    """Raises ValueError unless both logs share one item catalogue."""
    if not np.array_equal(real.item_ids, simulated.item_ids):
        raise ValueError("the simulated log's item catalogue differs from the real log's; build"
                         " it with from_dataframe(..., catalogue=real)")


def topic_labels(topics: np.ndarray, topic_names: Sequence[str] | None) -> list[str]:
    """`topic_names` checked against the topic matrix, or "topic 0", "topic 1", ..."""
    count = np.shape(topics)[1]
    if topic_names is None:
        return [f"topic {k}" for k in range(count)]
    if len(topic_names) != count:
        raise ValueError(f"{len(topic_names)} topic names for {count} topic columns")
    return [str(name) for name in topic_names]


def compare(real: EventLog, simulated: EventLog, topics: np.ndarray | None = None,
            topic_names: Sequence[str] | None = None, session_gap: float = 3600.0,
            num_bins: int = 5) -> list[Comparison]:
    """Every statistic of both logs, compared (see the module docstring for the table).

    Topic rows need `topics` (`[items, topics]` weights, e.g. `ItemCovariates.topics`); slot
    rows need `click` and `position` in both logs (one "not applicable" row when only one
    has them).
    """
    check_comparable(real, simulated)
    rows = _gap_rows(gaps(real), gaps(simulated))
    rows.append(_ks_row("session length (events)", session_lengths(real, session_gap),
                        session_lengths(simulated, session_gap)))
    rows.append(_repeat_row(repeats(real), repeats(simulated)))
    if topics is not None:
        topics = _topic_matrix(real, topics)
        names = topic_labels(topics, topic_names)
        diverse_real, diverse_simulated = diversity(real, topics), diversity(simulated, topics)
        rows.append(_ks_row("topic entropy per user (nats)", diverse_real["entropy"],
                            diverse_simulated["entropy"]))
        rows.append(_ks_row("distinct top topics per user", diverse_real["top_topics"],
                            diverse_simulated["top_topics"]))
        rows += _topic_rows(_topic_counts(real, topics, num_bins),
                            _topic_counts(simulated, topics, num_bins), names)
    if has_slots(real) and has_slots(simulated):
        rows += _slot_rows(click_through_by_slot(real), click_through_by_slot(simulated))
    elif has_slots(real) or has_slots(simulated):
        rows.append(_row("click-through rate by slot (one log lacks click/position)",
                         math.nan, math.nan, RATE_DIFFERENCE, math.nan, math.nan))
    return rows


def comparisons_frame(comparisons: Sequence[Comparison]) -> pd.DataFrame:
    """The comparisons as a table, one row each, columns the fields of `Comparison`."""
    return pd.DataFrame([dataclasses.asdict(c) for c in comparisons],
                        columns=[field.name for field in dataclasses.fields(Comparison)])


def to_json(comparisons: Sequence[Comparison]) -> list[dict]:
    """Plain dicts for `json.dumps(..., allow_nan=False)`: NaN (and infinities) become None."""
    return [{key: (None if isinstance(value, float) and not math.isfinite(value) else value)
             for key, value in dataclasses.asdict(c).items()} for c in comparisons]
