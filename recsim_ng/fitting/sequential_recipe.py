"""One call from a consumption log to fitted user models, held-out scores and a simulated log.

`fit_sequential_models(log)` fits the dynamic-interest model (with the population's long-run
interest, and with each user's latent: `latent_interest`) and the three baselines of
`interest_model` on a split's training events, scores each on the test events (each user's
state conditioned on its earlier events), fits the gaps between events, and simulates a log
like the real one (its users, their event counts and first times) from the latent-user model,
users drawn from the fitted population, for the validity comparison.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from recsim_ng.data.event_log import EventLog
from recsim_ng.data.splits import Split, split_by_time
from recsim_ng.fitting.estimation import clustered_mean
from recsim_ng.fitting.gaps import GapModel, fit_gap_model
from recsim_ng.fitting.interest_model import MODELS, ChoiceModelFit, fit_choice_model
from recsim_ng.fitting.interest_network import InterestDynamics, simulate_log
from recsim_ng.fitting.latent_interest import LatentInterestFit, fit_latent_interest
from recsim_ng.fitting.sequences import ItemCovariates, event_sequences, item_covariates

DYNAMIC = "dynamic_interest"
LATENT = "dynamic_interest_latent_users"


@dataclasses.dataclass(frozen=True)
class SequentialFit:
    """Fitted models, their held-out scores, the gap model and a simulated log."""

    fits: dict[str, ChoiceModelFit | LatentInterestFit]
    heldout: pd.DataFrame
    covariates: ItemCovariates
    gaps: GapModel
    dynamics: InterestDynamics
    split: Split
    simulated: EventLog


def fit_sequential_models(log: EventLog, split: Split | None = None,
                          topics: Sequence[str] | None = None,
                          baselines: Sequence[str] = MODELS[1:], exclude_consumed: bool = True,
                          max_iterations: int = 500, latent_steps: int = 300,
                          seed: int = 0,
                          progress: Callable[[str, int, int], None] | None = None
                          ) -> SequentialFit:
    """Fits, scores and simulates (default split: each user's last 10% of events is the test).

    `topics`: the item feature columns that are topics (default: `genre:*`).
    `exclude_consumed`: users never pick an item again (MovieLens rates each movie once).
    `progress(stage, done, total)` is called as each of the `total` stages ends.
    """
    stages = len(baselines) + 4  # the dynamic model, baselines, latent users, scoring, simulating
    done = iter(range(1, stages + 1))

    def finished(stage: str) -> None:
        if progress is not None:
            progress(stage, next(done), stages)

    split = split or split_by_time(log)
    covariates = item_covariates(log, split.train, topics)
    train = event_sequences(log, split.train)
    test = event_sequences(log, split.test)
    if test.num_scored == 0:
        raise ValueError("the split has no test events to score")
    fits: dict = {}
    for model in (DYNAMIC, *baselines):
        fits[model] = fit_choice_model(model, train, covariates, exclude_consumed,
                                       max_iterations=max_iterations)
        finished(f"fitted {model}")
    fits[LATENT] = fit_latent_interest(train, covariates, exclude_consumed, latent_steps,
                                       seed=seed, initial=fits[DYNAMIC].theta)
    finished(f"fitted {LATENT}")
    scores = {model: fit.event_log_likelihoods(test, covariates) for model, fit in fits.items()}
    heldout = heldout_table(scores, test.user[test.scored])
    finished("scored held-out events")
    gaps = fit_gap_model(log, split.train)
    dynamics = InterestDynamics.from_estimates(fits[LATENT].estimates)
    simulated = simulate_log(dynamics, covariates, gaps, log, seed, exclude_consumed)
    finished("simulated a log")
    return SequentialFit(fits, heldout, covariates, gaps, dynamics, split, simulated)


def heldout_table(scores: dict[str, np.ndarray], users: np.ndarray,
                  reference: str = LATENT) -> pd.DataFrame:
    """Log-likelihood per held-out event per model, and each model's gap to `reference`.

    Standard errors are clustered by user; the difference is paired event by event, and `z` is
    the reference's advantage over the model in standard errors.
    """
    rows = []
    for model, values in scores.items():
        mean, error = clustered_mean(values, users)
        difference, difference_error = clustered_mean(scores[reference] - values, users)
        rows.append({"model": model, "log_likelihood_per_event": mean, "standard_error": error,
                     "reference_advantage": difference,
                     "advantage_standard_error": difference_error,
                     "z": difference / difference_error if difference_error > 0 else np.nan})
    return pd.DataFrame(rows).set_index("model")
