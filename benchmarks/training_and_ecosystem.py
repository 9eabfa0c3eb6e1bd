"""Two more of RecSim NG's workloads, side by side with ours in one run.

- REINFORCE training step of partially observable interest evolution, 1,000 users x 100 steps
  (`../shared/upstream_bench/bench_ng_ie_train.py --mode split`): RecSim NG simulates, takes the
  slates' log-probs and applies SGD in graph mode; ours (`ReinforceTrainer`) does the same with a
  per-step baseline and Adam, the whole step (simulation, gradient and update) one XLA program.
- Ecosystem, 2,000 users x 300 steps, one run per call (`bench_ng_ecosystem.py --mode split`,
  RecSim NG's `TFRuntime.execute` in a `tf.function`): ours is `RunSimulator` (compiled once,
  reused for every call), in graph mode and with XLA.

Each case runs in a fresh process per round; a process times its first call (trace and compile)
apart from the median of the following ones.

    python benchmarks/training_and_ecosystem.py [--rounds 3] [--calls 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any, Callable

import side_by_side
from recsim_ng.lib.machine import machine_info

TRAIN_USERS, HORIZON = 1000, 100
ECOSYSTEM_USERS, ECOSYSTEM_HORIZON = 2000, 300


def _timed_calls(call: Callable[[int], Any], calls: int) -> dict[str, float]:
    times = []
    for index in range(calls + 1):
        start = time.perf_counter()
        call(index)
        times.append(time.perf_counter() - start)
    return {"first_call_s": round(times[0], 3), "steady_s": round(statistics.median(times[1:]), 4)}


def our_training_step(mode: str, calls: int, users: int = TRAIN_USERS) -> dict[str, Any]:
    """Times REINFORCE steps; meant to run in a fresh process."""
    from recsim_ng.applications.interest_evolution.simulation import (
        create_interest_evolution_simulation_network)
    from recsim_ng.applications.interest_evolution.training import ReinforceTrainer

    network, variables = create_interest_evolution_simulation_network(users)
    trainer = ReinforceTrainer(network, variables, HORIZON, 1e-4, jit_compile=mode == "xla")
    result = _timed_calls(lambda seed: trainer.train(1, seed), calls)
    return {**result, "mode": mode, "traces": trainer.trace_count}


def our_ecosystem_run(mode: str, calls: int, users: int = ECOSYSTEM_USERS) -> dict[str, Any]:
    """Times single ecosystem runs; meant to run in a fresh process."""
    from recsim_ng.applications.ecosystem_simulation.simulation import (
        RunSimulator, create_viable_provider_simulation_network, init_random_provider_clusters)

    network = create_viable_provider_simulation_network(init_random_provider_clusters(), users)
    simulator = RunSimulator(network, ECOSYSTEM_HORIZON, jit_compile=mode == "xla")
    result = _timed_calls(lambda seed: simulator(1, seed), calls)
    return {**result, "mode": mode, "traces": simulator.trace_count}


def upstream_training_step(calls: int, users: int = TRAIN_USERS) -> dict[str, Any]:
    result = side_by_side.upstream("bench_ng_ie_train.py", mode="split", num_users=users,
                                   horizon=HORIZON, train_steps=calls + 1)
    return {"first_call_s": result["first_step_s"], "steady_s": result["steady_median_s"]}


def upstream_ecosystem_run(calls: int, users: int = ECOSYSTEM_USERS) -> dict[str, Any]:
    result = side_by_side.upstream("bench_ng_ecosystem.py", mode="split",
                                   num_users=users, horizon=ECOSYSTEM_HORIZON,
                                   repeats=calls)
    return {"first_call_s": result["first_call_s"], "steady_s": result["steady_median_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=5, help="steady calls per process")
    args = parser.parse_args()
    print(json.dumps(machine_info()), flush=True)
    for workload, cases in (
            ("reinforce_step_1000x100", {
                "ours_xla": lambda: side_by_side.ours(our_training_step, "xla", args.calls),
                "ours_graph": lambda: side_by_side.ours(our_training_step, "graph", args.calls),
                "upstream": lambda: upstream_training_step(args.calls)}),
            ("ecosystem_run_2000x300", {
                "ours_xla": lambda: side_by_side.ours(our_ecosystem_run, "xla", args.calls),
                "ours_graph": lambda: side_by_side.ours(our_ecosystem_run, "graph", args.calls),
                "upstream": lambda: upstream_ecosystem_run(args.calls)})):
        results = side_by_side.interleaved(cases, args.rounds)
        upstream = side_by_side.median(results["upstream"], "steady_s")
        print(json.dumps({
            "workload": workload,
            **{f"{name}_steady_s": side_by_side.median(runs, "steady_s")
               for name, runs in results.items()},
            **{f"ratio_{name}": round(upstream / side_by_side.median(runs, "steady_s"), 2)
               for name, runs in results.items() if name != "upstream"},
            "first_call_s": {name: side_by_side.median(runs, "first_call_s")
                             for name, runs in results.items()},
            "steady_s_range": {name: side_by_side.spread(runs, "steady_s")
                               for name, runs in results.items()}}), flush=True)


if __name__ == "__main__":
    main()
