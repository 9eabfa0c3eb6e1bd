"""`python -m recsim_ng.rl.slate_q_demo`: SlateQ against the random and myopic policies.

Trains SlateQ on RecSim v1's interest evolution (10 candidates, slates of 3) with a batch of
users, then evaluates SlateQ, the myopic and the random policy on the same fresh users and
prints each mean return with its 95% confidence interval.
"""

from __future__ import annotations

import argparse
import time

from recsim_ng.applications.recsim_v1 import InterestEvolution, interest_evolution
from recsim_ng.rl.agents import (MyopicPolicy, RandomSlatePolicy, SlateQConfig, SlateQLearner,
                                 interest_evolution_click_probability)
from recsim_ng.rl.evaluation import evaluate, v1_environment

NUM_CANDIDATES, SLATE_SIZE = 10, 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--train-users", type=int, default=256)
    parser.add_argument("--train-steps", type=int, default=2000)
    parser.add_argument("--eval-users", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    environment = v1_environment(
        interest_evolution(args.train_users, NUM_CANDIDATES, SLATE_SIZE), seed=args.seed)
    click_probability = interest_evolution_click_probability(
        InterestEvolution(args.train_users, NUM_CANDIDATES, SLATE_SIZE, True, False))
    learner = SlateQLearner(environment, click_probability, SlateQConfig(), seed=args.seed)
    start = time.perf_counter()
    learner.train(args.train_steps)
    print(f"trained SlateQ for {args.train_steps} steps on {args.train_users} users"
          f" in {time.perf_counter() - start:.0f} s")
    specs = (environment.time_step_spec(), environment.action_spec())
    policies = {"SlateQ": learner.policy,
                "myopic": MyopicPolicy(*specs, click_probability),
                "random": RandomSlatePolicy(*specs)}
    for name, policy in policies.items():
        result = evaluate(interest_evolution(args.eval_users, NUM_CANDIDATES, SLATE_SIZE),
                          policy, args.eval_users, seed=args.seed + 1)
        print(f"{name:>7}: mean return {result.mean_return:.2f}"
              f" +- {result.ci95_half_width:.2f} (95% CI, {result.num_users} users)")


if __name__ == "__main__":
    main()
