"""Forward simulation of RecSim NG's partially observable interest evolution: ours against RecSim NG.

The workload is RecSim NG's `recsys_partially_observable_rl` application at its own sizes (2
topics, 100 documents, slates of 2, a 15-click history, the collaborative-filtering recommender),
ported as `recsim_ng.applications.interest_evolution`, run for 100 steps (`trajectory(100)`, every
field kept, no gradient). For each user count, ours in graph mode, with XLA, and with XLA and the
users split into concurrent shards (`ShardedRuntime`: two, one per core of the CI machine, or
more so that no shard holds over `--shard-users` users), and RecSim NG in its default graph mode
(`../shared/upstream_bench/bench_ng_trajectory.py`; its XLA variant too at `--upstream-xla-users`)
run back to back, each case in a fresh process, for `--rounds` rounds. A process times its first call (trace, compile and one
run) apart from the steady state, the median of `--repeats` further calls with new seeds.

It then prints the roofline of this workload at the largest user count: the bytes and
floating-point operations a user-step needs (counted below from the model's shapes), this machine's
measured memory bandwidth and matrix-multiply rate, and how close our best mode comes. With
`--plot PATH` it draws user-steps/s against users on log-log axes.

    python benchmarks/interest_evolution.py [--users 1 100 1000 10000 100000] [--rounds 3]
        [--repeats 5] [--upstream-xla-users 1 100] [--plot docs/benchmarks/interest_evolution.png]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import side_by_side
from recsim_ng.lib.machine import machine_info, peak_rss_gib

HORIZON = 100
NUM_DOCS, HISTORY, SLATE, EMBED, HIDDEN, TOPICS = 100, 15, 2, 32, 32, 2
UPSTREAM_MAX_REPEATS = 3  # RecSim NG's steady calls per process (it is the slower side)


def our_case(users: int, mode: str, repeats: int, shards: int = 1) -> dict[str, Any]:
    """Times our trajectory; meant to run in a fresh process. With several shards, users are
    split into shards that run concurrently (`ShardedRuntime`)."""
    import tensorflow as tf
    from recsim_ng.applications.interest_evolution.simulation import (
        REPLICATED_VARIABLES, create_interest_evolution_simulation_network)
    from recsim_ng.lib.runtime import TFRuntime
    from recsim_ng.lib.sharding import ShardedRuntime

    tf.constant(0).numpy()  # Start TensorFlow outside the timed first call.
    if shards == 1:
        network, _ = create_interest_evolution_simulation_network(users)
        runtime = TFRuntime(network, jit_compile=mode == "xla")
    else:
        runtime = ShardedRuntime(lambda u: create_interest_evolution_simulation_network(u)[0],
                                 users, num_shards=shards, replicated=REPLICATED_VARIABLES,
                                 jit_compile=mode == "xla")

    def timed_call(seed: int) -> float:
        start = time.perf_counter()
        runtime.trajectory(HORIZON, seed)["metrics_state"].get("cumulative_reward").numpy()
        return time.perf_counter() - start

    first_call_s = timed_call(0)
    steady_s = statistics.median(timed_call(seed) for seed in range(1, repeats + 1))
    return {"users": users, "mode": mode, "shards": shards,
            "first_call_s": round(first_call_s, 3),
            "steady_s": round(steady_s, 5), "user_steps_per_s": round(users * HORIZON / steady_s),
            "traces": runtime.trace_count, "peak_rss_gib": peak_rss_gib()}


def upstream_case(users: int, variant: str, repeats: int) -> dict[str, Any]:
    """Times RecSim NG's trajectory, with at most `UPSTREAM_MAX_REPEATS` of the `repeats`."""
    result = side_by_side.upstream("bench_ng_trajectory.py", num_users=users, horizon=HORIZON,
                                   variant=variant, repeats=min(repeats, UPSTREAM_MAX_REPEATS))
    return {"users": users, "mode": variant, "first_call_s": result["first_call_s"],
            "steady_s": result["steady_median_s"],
            "user_steps_per_s": round(result["steady_user_steps_per_s"])}


def work_per_user_step() -> dict[str, float]:
    """What one user-step needs, counted from the shapes (float32, 4 bytes).

    FLOPs: the first layer as gathered rows of per-slot projected tables (HISTORY * HIDDEN adds)
    plus the consumed-time term (2 * HISTORY * HIDDEN), the output layer (2 * HIDDEN * EMBED), the
    scores (2 * EMBED * NUM_DOCS), the slate's softmax over the documents and no-choice (max,
    subtract, exp, sum: 4 per option; the exponentials counted as one operation each) and two
    inverse-CDF picks (block totals and in-block cumulative sums as small products), the user's
    choice among 3 options and the state updates (a few dozen). Bytes: the state read and written
    once (interest, both histories, the slate's fields, response, metrics) and every field written
    once more into the stored trajectory; the [users, documents] scores are never stored.
    """
    options = NUM_DOCS + 1
    blocks = -(-options // 16)
    flops = (HISTORY * HIDDEN + 2 * HISTORY * HIDDEN + 2 * HIDDEN * EMBED + 2 * EMBED * NUM_DOCS
             + 4 * options + SLATE * (2 * options * blocks + 2 * 16 * 16 + 2 * options) + 50)
    state_values = (TOPICS + 2 * HISTORY + SLATE * (5 + TOPICS) + 2 + 2 + 1)
    bytes_per_user_step = 4 * state_values * 3  # Read, write back, write into the trajectory.
    return {"flops": flops, "bytes": bytes_per_user_step, "exponentials": options}


def machine_rates() -> dict[str, float]:
    """Measured memory bandwidth (a large elementwise pass, read plus write) and float32 matmul
    rate of this machine, through TensorFlow on all cores."""
    import tensorflow as tf

    def best_of(fn: Any, *args: Any) -> float:
        fn(*args).numpy()
        times = []
        for _ in range(5):
            start = time.perf_counter()
            fn(*args).numpy()
            times.append(time.perf_counter() - start)
        return min(times)

    big = tf.random.stateless_uniform([100_000_000], [1, 2])
    seconds = best_of(tf.function(lambda x: tf.reduce_sum(x * 1.5)), big)
    bandwidth = 4 * big.shape[0] / seconds  # One read; the product never reaches memory.
    size = 4096
    a = tf.random.stateless_normal([size, size], [1, 2])
    matmul = tf.function(lambda a: tf.reduce_sum(a @ a))
    rate = 2 * size ** 3 / best_of(matmul, a)
    return {"memory_bandwidth_gb_per_s": round(bandwidth / 1e9, 1),
            "matmul_gflop_per_s": round(rate / 1e9, 1)}


def plot(summary: dict[int, dict[str, float]], path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    users = sorted(summary)
    figure, axes = plt.subplots(figsize=(6, 4.2))
    for key, label in (("ours_xla_sharded", "ours, XLA, concurrent shards"),
                       ("ours_xla", "ours, XLA"), ("ours_graph", "ours, graph"),
                       ("upstream_graph", "RecSim NG 0.1.2, graph (its default)"),
                       ("upstream_xla", "RecSim NG 0.1.2, XLA")):
        points = [(u, summary[u][key]) for u in users if key in summary[u]]
        if points:
            axes.loglog(*zip(*points), marker="o", label=label)
    axes.set_xlabel("users")
    axes.set_ylabel("user-steps per second (median of rounds)")
    axes.set_title("Interest evolution, 100 steps, forward")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 100, 1000, 10000, 100000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--upstream-xla-users", type=int, nargs="*", default=[1, 100])
    parser.add_argument("--shard-users", type=int, default=5000,
                        help="also time XLA with users split into concurrent shards: two (one"
                             " per core here), or more so that none holds more users than this")
    parser.add_argument("--plot", default=None, help="PNG path for the log-log plot")
    args = parser.parse_args()
    print(json.dumps(machine_info()), flush=True)

    summary: dict[int, dict[str, float]] = {}
    for users in args.users:
        cases = {
            "ours_graph": lambda u=users: side_by_side.ours(our_case, u, "graph", args.repeats),
            "ours_xla": lambda u=users: side_by_side.ours(our_case, u, "xla", args.repeats),
            "upstream_graph": lambda u=users: upstream_case(u, "graph", args.repeats)}
        shards = max(2, users // args.shard_users)
        if users % shards == 0 and users >= shards:
            cases["ours_xla_sharded"] = lambda u=users, s=shards: side_by_side.ours(
                our_case, u, "xla", args.repeats, s)
        if users in args.upstream_xla_users:
            cases["upstream_xla"] = lambda u=users: upstream_case(u, "xla", args.repeats)
        results = side_by_side.interleaved(cases, args.rounds)
        summary[users] = {name: side_by_side.median(runs, "user_steps_per_s")
                          for name, runs in results.items()}
        row = summary[users]
        print(json.dumps({
            "users": users, **{f"{k}_user_steps_per_s": v for k, v in row.items()},
            "ratio_graph": round(row["ours_graph"] / row["upstream_graph"], 2),
            "ratio_xla": round(row["ours_xla"] / row["upstream_graph"], 2),
            **({"ratio_xla_sharded": round(row["ours_xla_sharded"] / row["upstream_graph"], 2)}
               if "ours_xla_sharded" in row else {}),
            "first_call_s": {name: side_by_side.median(runs, "first_call_s")
                             for name, runs in results.items()},
            "user_steps_per_s_range": {name: side_by_side.spread(runs, "user_steps_per_s")
                                       for name, runs in results.items()}}), flush=True)

    largest = max(summary)
    work, rates = work_per_user_step(), machine_rates()
    compute_bound = rates["matmul_gflop_per_s"] * 1e9 / work["flops"]
    memory_bound = rates["memory_bandwidth_gb_per_s"] * 1e9 / work["bytes"]
    best = max(value for name, value in summary[largest].items() if name.startswith("ours"))
    roofline = min(compute_bound, memory_bound)
    print(json.dumps({"roofline_users": largest, **work, **rates,
                      "compute_bound_user_steps_per_s": round(compute_bound),
                      "memory_bound_user_steps_per_s": round(memory_bound),
                      "ours_best_user_steps_per_s": best,
                      "fraction_of_roofline": round(best / roofline, 3)}), flush=True)
    if args.plot:
        plot(summary, args.plot)


if __name__ == "__main__":
    main()
