"""How often graph mode and XLA make different discrete choices from the same seed (near-ties).

Every uniform is identical in the two modes; values computed from them (logits, cumulative sums,
distances) differ in the last bits, so a discrete outcome can differ where two options are within
rounding of each other. For each application this runs the same seed in graph mode and with XLA
and counts, per user, the first step at which any of the user's discrete fields differs. Users
interact in the ecosystem (the corpus follows all users' clicks), so there the first difference
anywhere is counted once for the whole run.

    python benchmarks/near_ties.py [--steps 100]
"""

from __future__ import annotations

import argparse
import json
from typing import Any, Callable

import numpy as np

from recsim_ng.lib.machine import machine_info


def first_differences(first: Any, second: Any, num_users: int) -> np.ndarray:
    """Per user, the first step whose discrete per-user fields differ (the length if none)."""
    length = None
    diverged = None
    for name, value in first.items():
        for field, x in value.as_dict.items():
            x, y = np.asarray(x), np.asarray(second[name].get(field))
            length = x.shape[0]
            diverged = np.full(num_users, length) if diverged is None else diverged
            if x.dtype.kind == "f" or x.ndim < 2 or x.shape[1] != num_users:
                continue
            differs = (x != y).reshape(length, num_users, -1).any(-1)
            diverged = np.minimum(diverged, np.where(differs.any(0), differs.argmax(0), length))
    return diverged


def measure(name: str, make_network: Callable[[int], Any], users: int, steps: int,
            users_interact: bool) -> dict[str, Any]:
    from recsim_ng.lib.runtime import TFRuntime

    network = make_network(users)
    graph = TFRuntime(network).trajectory(steps, 7)
    xla = TFRuntime(network, jit_compile=True).trajectory(steps, 7)
    diverged = first_differences(graph, xla, users)
    result = {"application": name, "users": users, "steps": steps}
    if users_interact:
        first = int(diverged.min())
        return {**result, "first_different_step": None if first == steps else first}
    events = int(np.sum(diverged < steps))
    return {**result, "users_with_a_difference": events,
            "near_ties_per_user_step": events / (users * steps)}


def main() -> None:
    from recsim_ng.applications.ecosystem_simulation.simulation import (
        create_viable_provider_simulation_network, init_random_provider_clusters)
    from recsim_ng.applications.interest_evolution.simulation import (
        create_interest_evolution_simulation_network)
    from recsim_ng.applications.recsim_v1 import interest_evolution, long_term_satisfaction

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(machine_info()), flush=True)
    for case in (
            ("interest_evolution", lambda u: create_interest_evolution_simulation_network(u)[0],
             10000, False),
            ("recsim_v1_interest_evolution",
             lambda u: interest_evolution(u, uniform_random_slate=True), 10000, False),
            ("recsim_v1_long_term_satisfaction",
             lambda u: long_term_satisfaction(u, uniform_random_slate=True), 10000, False),
            ("ecosystem", lambda u: create_viable_provider_simulation_network(
                init_random_provider_clusters(), u), 2000, True)):
        print(json.dumps(measure(case[0], case[1], case[2], args.steps, case[3])), flush=True)


if __name__ == "__main__":
    main()
