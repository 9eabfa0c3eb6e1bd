"""Interest-evolution throughput on a GPU: 1e4 to 1e7 users, XLA on and off (run by gpu.sh).

RecSim NG's partially observable interest evolution at its sizes (100 documents, slates of 2, a
15-click history), 100 steps streamed (`TFRuntime.stream`: the current value and per-step mean
reward only, so 10,000,000 users fit in device memory). Each case runs in a fresh process and
prints one JSON line: the first call (trace and compile), the median of `--repeats` further calls,
user-steps/s and the peak device memory TensorFlow reports.

    benchmarks/gpu.sh [--users 10000 100000 1000000 10000000] [--modes xla graph] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import side_by_side
from recsim_ng.lib.machine import machine_info

STEPS = 99


def case(users: int, mode: str, repeats: int) -> dict[str, Any]:
    """One case; meant to run in a fresh process."""
    import tensorflow as tf
    from recsim_ng.applications.interest_evolution.simulation import (
        create_interest_evolution_simulation_network)
    from recsim_ng.lib.runtime import TFRuntime

    gpus = tf.config.list_physical_devices("GPU")
    network, _ = create_interest_evolution_simulation_network(users)
    runtime = TFRuntime(network, jit_compile=mode == "xla")

    def summarize(value: Any) -> dict[str, tf.Tensor]:
        return {"mean_reward": tf.reduce_mean(value["metrics_state"].get("reward"))}

    def timed(seed: int) -> float:
        start = time.perf_counter()
        runtime.stream(STEPS, seed, summarize)[1]["mean_reward"].numpy()
        return time.perf_counter() - start

    first = timed(0)
    steady = statistics.median(timed(seed) for seed in range(1, repeats + 1))
    memory = tf.config.experimental.get_memory_info("GPU:0")["peak"] if gpus else None
    return {"users": users, "mode": mode, "device": gpus[0].name if gpus else "CPU only",
            "first_call_s": round(first, 3), "steady_s": round(steady, 4),
            "user_steps_per_s": round(users * (STEPS + 1) / steady),
            "peak_device_memory_gib": None if memory is None else round(memory / 2**30, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+",
                        default=[10_000, 100_000, 1_000_000, 10_000_000])
    parser.add_argument("--modes", nargs="+", choices=["xla", "graph"], default=["xla", "graph"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(machine_info()), flush=True)
    for users in args.users:
        for mode in args.modes:
            try:
                result = side_by_side.ours(case, users, mode, args.repeats)
            except Exception as error:  # E.g. out of device memory: record it and go on.
                result = {"users": users, "mode": mode, "error": str(error)[-500:]}
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
