"""Peak memory of streaming simulation (`TFRuntime.stream`): linear in users, 1,000,000 users fit.

Interest evolution (RecSim NG's sizes: 100 documents, slates of 2, a 15-click history) for 100
steps, keeping only the current value and per-step summaries (mean reward, click rate and mean
cumulative reward over users), not the trajectory. Each user count runs in a fresh process, which
reports its peak resident memory; a least-squares line through the points gives the memory per
user and the fixed cost. For comparison, one process keeps the whole trajectory (every field) at
the smallest size above 10,000 users.

    python benchmarks/streaming_memory.py [--users 10000 100000 300000 1000000] [--mode xla]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np

import side_by_side
from recsim_ng.lib.machine import machine_info, peak_rss_gib

STEPS = 99  # 100 values: the initial one and 99 steps, as trajectory(100).


def summarize(value: Any) -> dict[str, Any]:
    import tensorflow as tf
    choice = value["user_response"].get("choice")
    return {"mean_reward": tf.reduce_mean(value["metrics_state"].get("reward")),
            "click_rate": tf.reduce_mean(tf.cast(choice < 2, tf.float32)),
            "mean_cumulative_reward": tf.reduce_mean(
                value["metrics_state"].get("cumulative_reward"))}


def case(users: int, mode: str, keep_trajectory: bool) -> dict[str, Any]:
    """Peak memory and time of one run; meant to run in a fresh process."""
    from recsim_ng.applications.interest_evolution.simulation import (
        create_interest_evolution_simulation_network)
    from recsim_ng.lib.runtime import TFRuntime

    network, _ = create_interest_evolution_simulation_network(users)
    runtime = TFRuntime(network, jit_compile=mode == "xla")
    start = time.perf_counter()
    if keep_trajectory:
        result = runtime.trajectory(STEPS + 1, 0)["metrics_state"].get("reward").numpy()[-1].mean()
    else:
        _, summaries = runtime.stream(STEPS, 0, summarize)
        result = summaries["mean_reward"].numpy()[-1]
    return {"users": users, "mode": mode, "kept": "trajectory" if keep_trajectory else "stream",
            "seconds": round(time.perf_counter() - start, 2),
            "user_steps_per_s": round(users * (STEPS + 1) / (time.perf_counter() - start)),
            "peak_rss_gib": peak_rss_gib(), "last_mean_reward": float(result)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[10000, 100000, 300000, 1000000])
    parser.add_argument("--mode", choices=["graph", "xla"], default="xla")
    args = parser.parse_args()
    print(json.dumps(machine_info()), flush=True)
    points = []
    for users in args.users:
        result = side_by_side.ours(case, users, args.mode, False)
        points.append((users, result["peak_rss_gib"]))
        print(json.dumps(result), flush=True)
    kept_users = next((u for u in args.users if u > 10000), args.users[0])
    print(json.dumps(side_by_side.ours(case, kept_users, args.mode, True)), flush=True)
    users, memory = np.array(points, float).T
    slope, intercept = np.polyfit(users, memory, 1)
    fitted = slope * users + intercept
    r_squared = 1 - np.sum((memory - fitted) ** 2) / np.sum((memory - memory.mean()) ** 2)
    print(json.dumps({"bytes_per_user": round(slope * 2**30), "fixed_gib": round(intercept, 2),
                      "r_squared": round(float(r_squared), 4)}), flush=True)


if __name__ == "__main__":
    main()
