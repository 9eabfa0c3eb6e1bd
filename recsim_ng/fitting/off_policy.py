"""Sim-to-real check of a policy's click-through rate (CTR): observed, off-policy, simulated.

Given a log of a uniform random policy (with propensities) and a log of a target policy (Open
Bandit's `random` and `bts`), three estimates of the target policy's CTR:

* observed: the target log's own CTR, with a 95% Wilson interval;
* off-policy from the random log: inverse-propensity (IPS) and self-normalised (SNIPS)
  estimates, reweighting each random impression of item i in slot k by pi(i | k) / propensity.
  The target policy's pi(i | k) is estimated by its log's item frequencies in slot k: a
  context-free, time-averaged stand-in for the real policy (Thompson sampling adapts over time),
  and the slots are assumed equally frequent in both logs (every impression fills each slot);
* simulated: a click model fitted on the random log, its mean click probability over the
  target log's impressions; the interval draws parameters from the fit's normal approximation
  and then the clicks of a log of that size.

Fit the model with a real penalty (`l2=1.0`, say) when most items are never clicked (Open
Bandit's random log: 51 of 80 items): with the default tiny one their logits sit far out with
huge standard errors, and draws from the normal approximation land on absurd click rates.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from recsim_ng.data.event_log import EventLog, LogFormatError
from recsim_ng.fitting.click_models import FittedClickModel
from recsim_ng.fitting.validity import Z95, wilson_interval


@dataclasses.dataclass(frozen=True)
class Estimate:
    """A CTR estimate with its 95% interval."""

    value: float
    low: float
    high: float

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high


@dataclasses.dataclass(frozen=True)
class PolicyCheck:
    """The target policy's CTR three ways; does the simulation land in the observed interval?"""

    observed: Estimate
    ips: Estimate
    snips: Estimate
    simulated: Estimate
    simulated_within_observed: bool


def observed_ctr(log: EventLog) -> Estimate:
    """The log's click rate with its 95% Wilson score interval."""
    clicks, n = float(_column(log, "click").sum()), log.num_events
    low, high = wilson_interval(clicks, n)
    return Estimate(clicks / n, float(low), float(high))


def off_policy_ctr(logged: EventLog, target: EventLog) -> tuple[Estimate, Estimate]:
    """(IPS, SNIPS) estimates of `target`'s policy CTR from `logged` with its propensities.

    95% normal intervals: IPS from the weighted clicks' standard error, SNIPS by the delta method.
    """
    click, propensity = _column(logged, "click"), _column(logged, "propensity")
    weight = _slot_frequencies(target).reindex(_slot_items(logged), fill_value=0.0).to_numpy()
    weight = weight / propensity
    n = len(click)
    ips = float(np.mean(weight * click))
    ips_se = float(np.std(weight * click, ddof=1) / np.sqrt(n))
    snips = float(np.sum(weight * click) / np.sum(weight))
    snips_se = float(np.sqrt(np.sum((weight * (click - snips)) ** 2)) / np.sum(weight))
    return (Estimate(ips, ips - Z95 * ips_se, ips + Z95 * ips_se),
            Estimate(snips, snips - Z95 * snips_se, snips + Z95 * snips_se))


def simulated_ctr(model: FittedClickModel, target: EventLog, num_draws: int = 500,
                  seed: int = 0) -> Estimate:
    """The model's mean click probability over `target`'s impressions, with a 95% interval from
    parameter draws (normal approximation) and the Bernoulli clicks of each draw's log."""
    parameter_seed, click_seed = np.random.SeedSequence(seed).spawn(2)
    probabilities = model.sample_click_probabilities(target, num_draws, parameter_seed)
    rates = (np.random.default_rng(click_seed).random(probabilities.shape)
             < probabilities).mean(axis=1)
    low, high = np.quantile(rates, [0.025, 0.975])
    return Estimate(float(model.click_probability(target).mean()), float(low), float(high))


def check_policy(logged: EventLog, target: EventLog, model: FittedClickModel,
                 num_draws: int = 500, seed: int = 0) -> PolicyCheck:
    """Observed, IPS, SNIPS and simulated CTR of the policy behind `target`.

    `logged`: a log with propensities (Open Bandit's `random`); `model`: fitted on it.
    """
    observed = observed_ctr(target)
    ips, snips = off_policy_ctr(logged, target)
    simulated = simulated_ctr(model, target, num_draws, seed)
    return PolicyCheck(observed, ips, snips, simulated, observed.contains(simulated.value))


def _column(log: EventLog, name: str) -> np.ndarray:
    if not log.has(name):
        raise LogFormatError(f"the log has no {name!r} column")
    return log.events[name].to_numpy(np.float64)


def _slot_items(log: EventLog) -> pd.MultiIndex:
    """(position, item id) of each event."""
    return pd.MultiIndex.from_arrays([_column(log, "position").astype(np.int64),
                                      log.item_ids[log.events["item_index"].to_numpy()]])


def _slot_frequencies(log: EventLog) -> pd.Series:
    """P(item | position) in the log, indexed by (position, item id)."""
    slot_items = _slot_items(log)
    counts = pd.Series(1.0, index=slot_items).groupby(level=[0, 1]).sum()
    return counts / counts.groupby(level=0).transform("sum")
