"""Trajectory throughput of the reference network under `TFRuntime`, graph mode and XLA.

Each case (user count, mode) runs in a fresh process: the first `trajectory` call (trace and
compile) is timed apart from the steady state, the median of `--repeats` further calls with new
seeds. Prints one JSON line per case, then one per comparison with RecSim NG's measured figures
(`upstream_performance.md`, upper ends of its ranges, graph mode, so the ratio is conservative).

    python benchmarks/trajectory_throughput.py [--users 1 100 1000 10000 100000] [--horizon 100]
        [--modes graph xla] [--repeats 5] [--max-users 10000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import time
from typing import Any

from recsim_ng.lib.machine import machine_info, peak_rss_gib

# RecSim NG 0.1.2 interest evolution, graph mode steady state: the upper ends of the measured
# ranges in user-steps/s, on the 2-core CI machine.
RECSIM_NG_USER_STEPS_PER_S = {1: 3.5e3, 100: 132e3, 1000: 333e3, 10000: 497e3}


def run_case(users: int, horizon: int, mode: str, repeats: int) -> dict[str, Any]:
    """Times one case; meant to run in a fresh process."""
    import tensorflow as tf
    from recsim_ng.examples.reference_network import reference_network
    from recsim_ng.lib.runtime import TFRuntime

    tf.constant(0).numpy()  # Start the TF runtime outside the timed first call.
    runtime = TFRuntime(reference_network(users), jit_compile=mode == "xla")

    def timed_call(seed: int) -> float:
        start = time.perf_counter()
        runtime.trajectory(horizon, seed)["user"].get("clicks").numpy()
        return time.perf_counter() - start

    first_call_s = timed_call(0)
    steady_s = statistics.median(timed_call(seed) for seed in range(1, repeats + 1))
    return {"users": users, "horizon": horizon, "mode": mode,
            "first_call_s": round(first_call_s, 4), "steady_s": round(steady_s, 5),
            "user_steps_per_s": round(users * horizon / steady_s),
            "repeats": repeats, "traces": runtime.trace_count,
            "peak_rss_gib": peak_rss_gib()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 100, 1000, 10000, 100000])
    parser.add_argument("--horizon", type=int, default=100)
    parser.add_argument("--modes", nargs="+", choices=["graph", "xla"], default=["graph", "xla"])
    parser.add_argument("--repeats", type=int, default=5, help="steady-state calls per case")
    parser.add_argument("--max-users", type=int, default=None,
                        help="skip user counts above this (e.g. 10000 to skip 100,000)")
    args = parser.parse_args()

    info = machine_info()
    context = multiprocessing.get_context("spawn")
    results = []
    for users in args.users:
        if args.max_users is not None and users > args.max_users:
            continue
        for mode in args.modes:
            with context.Pool(1) as pool:
                result = pool.apply(run_case, (users, args.horizon, mode, args.repeats))
            results.append(result)
            print(json.dumps({**result, **info}), flush=True)

    for result in results:
        upstream = RECSIM_NG_USER_STEPS_PER_S.get(result["users"])
        if upstream is not None and args.horizon == 100:
            print(json.dumps({
                "users": result["users"], "mode": result["mode"],
                "user_steps_per_s": result["user_steps_per_s"],
                "recsim_ng_graph_upper_user_steps_per_s": upstream,
                "ratio": round(result["user_steps_per_s"] / upstream, 2)}))


if __name__ == "__main__":
    main()
