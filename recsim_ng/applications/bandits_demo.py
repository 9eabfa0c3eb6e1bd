"""Compares the bandit algorithms on one Bernoulli problem by their final pseudo-regret.

`python -m recsim_ng.applications.bandits_demo` prints, per algorithm, the mean final
pseudo-regret over many independent bandits with its standard error. Each algorithm is one
compiled simulation of all bandits, and all see the same seed, hence the same arm rewards.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np
import tensorflow as tf

from recsim_ng.core import Network, Value
from recsim_ng.entities.bandits import (KLUCB, UCB1, BanditAlgorithm, BernoulliBandit,
                                        BetaBernoulliThompsonSampling, EpsilonGreedy)
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.stories.bandit_story import bandit_story

AlgorithmConstructor = Callable[[int, int], BanditAlgorithm]  # (num_bandits, num_arms)

ALGORITHMS: dict[str, AlgorithmConstructor] = {
    "uniform random": lambda bandits, arms: EpsilonGreedy(bandits, arms, epsilon=1.0),
    "epsilon-greedy (0.1)": lambda bandits, arms: EpsilonGreedy(bandits, arms, epsilon=0.1),
    "UCB1": UCB1,
    "KL-UCB": KLUCB,
    "Thompson sampling": BetaBernoulliThompsonSampling,
}


MEANS = (0.1, 0.2, 0.3, 0.4, 0.5)
NUM_BANDITS = 500
HORIZON = 2000


class RegretCurve(NamedTuple):
    """Mean cumulative pseudo-regret over the bandits after each pull, and its standard error."""
    mean: np.ndarray  # [horizon]
    standard_error: np.ndarray  # [horizon]


def _regret_mean_and_standard_error(value: dict[str, Value]) -> dict[str, tf.Tensor]:
    """The step's pseudo-regret reduced over the bandits (float64, as numpy would)."""
    regret = tf.cast(value["bandit_metrics"].get("cumulative_pseudo_regret"), tf.float64)
    count = tf.cast(tf.size(regret), tf.float64)
    mean = tf.reduce_mean(regret)
    variance = tf.reduce_sum(tf.square(regret - mean)) / (count - 1.0)
    return {"mean": mean, "standard_error": tf.sqrt(variance / count)}


def pseudo_regret_curve(algorithm: str, means: Sequence[float] = MEANS,
                        num_bandits: int = NUM_BANDITS, horizon: int = HORIZON,
                        seed: int = 0) -> RegretCurve:
    """The pseudo-regret of `ALGORITHMS[algorithm]` after pulls 1 .. `horizon`: one compiled
    simulation of all bandits that keeps only the per-pull summary."""
    problem = BernoulliBandit(num_bandits, list(means))
    network = Network(bandit_story(problem, ALGORITHMS[algorithm](num_bandits, problem.num_arms)))
    _, summaries = TFRuntime(network).stream(horizon - 1, seed, _regret_mean_and_standard_error)
    return RegretCurve(summaries["mean"].numpy(), summaries["standard_error"].numpy())


def final_pseudo_regrets(means: Sequence[float] = MEANS, num_bandits: int = NUM_BANDITS,
                         horizon: int = HORIZON, seed: int = 0) -> dict[str, tuple[float, float]]:
    """`{algorithm: (mean, standard error)}` of the pseudo-regret after `horizon` pulls."""
    results = {}
    for name in ALGORITHMS:
        curve = pseudo_regret_curve(name, means, num_bandits, horizon, seed)
        results[name] = (float(curve.mean[-1]), float(curve.standard_error[-1]))
    return results


def main() -> None:
    print(f"Bernoulli arms with means {MEANS}: {NUM_BANDITS} bandits, {HORIZON} pulls each")
    for name, (mean, error) in final_pseudo_regrets().items():
        print(f"{name:>22}: final pseudo-regret {mean:7.2f} +- {error:.2f}")


if __name__ == "__main__":
    main()
