"""Compares the bandit algorithms on one Bernoulli problem by their final pseudo-regret.

`python -m recsim_ng.applications.bandits_demo` prints, per algorithm, the mean final
pseudo-regret over many independent bandits with its standard error. Each algorithm is one
compiled simulation of all bandits, and all see the same seed, hence the same arm rewards.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from recsim_ng.core import Network
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


def final_pseudo_regrets(means: Sequence[float] = MEANS, num_bandits: int = NUM_BANDITS,
                         horizon: int = HORIZON, seed: int = 0) -> dict[str, tuple[float, float]]:
    """`{algorithm: (mean, standard error)}` of the pseudo-regret after `horizon` pulls."""
    results = {}
    for name, make_algorithm in ALGORITHMS.items():
        problem = BernoulliBandit(num_bandits, list(means))
        network = Network(bandit_story(problem, make_algorithm(num_bandits, problem.num_arms)))
        final = TFRuntime(network).execute(horizon - 1, seed)
        regret = final["bandit_metrics"].get("cumulative_pseudo_regret").numpy()
        results[name] = (float(regret.mean()), float(regret.std(ddof=1) / np.sqrt(regret.size)))
    return results


def main() -> None:
    print(f"Bernoulli arms with means {MEANS}: {NUM_BANDITS} bandits, {HORIZON} pulls each")
    for name, (mean, error) in final_pseudo_regrets().items():
        print(f"{name:>22}: final pseudo-regret {mean:7.2f} +- {error:.2f}")


if __name__ == "__main__":
    main()
