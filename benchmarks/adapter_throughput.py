"""Step throughput of the RL adapters on RecSim v1's interest evolution, against RecSim v1.

Two adapters over `recsim_v1.interest_evolution(users)` (10 candidates, slates of 2, the agent
observing `observation` and `response`, reward `reward.reward`, done `reward.done`):

- `tf_agents`: `TFAgentsEnvironment` stepped `--steps` times in one `tf.function` loop (graph mode;
  `tf_agents_xla` builds the environment with `jit_compile=True`, so each network step is
  XLA-compiled inside the same loop). The action is drawn inside the loop.
- `gym`: `GymVectorEnv` stepped `--steps` times from Python with numpy actions, drawn before the
  timed window, so the time is the adapter's alone.

Both restart each user whose episode ended on its next step while the others go on (the
adapters' default: per-user restarts, Gymnasium's `NEXT_STEP` autoreset), as RecSim v1 restarts
each one-user environment on its own.

Actions are uniformly random valid slates (distinct candidate indices, random order): the first
`slate_size` entries of `tf.argsort` of `tf.random.stateless_uniform` noise, seeded by
(call seed, step), so no stateful RNG is involved. Each case (adapter, user count) runs in a
fresh process: the first timed call (trace, plus the first run) is reported apart from the
steady state, the median of `--repeats` further calls. RecSim v1 itself (one user per
environment, its random agent: `../shared/upstream_bench/bench_v1_env.py`) runs interleaved with
ours, `--rounds` times per user count; ratios divide by its median env steps/s.

    python benchmarks/adapter_throughput.py [--users 1 100 10000]
        [--adapters tf_agents tf_agents_xla gym] [--steps 100] [--repeats 5] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any, Callable

import side_by_side
from recsim_ng.lib.machine import machine_info, peak_rss_gib

NUM_CANDIDATES = 10
SLATE_SIZE = 2
STEPS = 100  # environment steps per timed call
ENV_ARGS = dict(observation={"observation": None, "response": None},
                reward=("reward", "reward"), done=("reward", "done"))


def random_slates(users: int, seed, step):
    """A uniformly random slate of distinct candidates per user, from a stateless seed."""
    import tensorflow as tf
    noise = tf.random.stateless_uniform([users, NUM_CANDIDATES],
                                        seed=tf.stack([tf.cast(seed, tf.int64),
                                                       tf.cast(step, tf.int64)]))
    return tf.argsort(noise, axis=1)[:, :SLATE_SIZE]


def tf_agents_runner(users: int, steps: int, jit_compile: bool) -> tuple[Callable[[int], Any],
                                                                          dict[str, Any]]:
    """A call that runs `steps` environment steps in one `tf.function`, and extra facts."""
    import tensorflow as tf
    from recsim_ng.applications.recsim_v1 import interest_evolution
    from recsim_ng.rl.tf_agents_env import TFAgentsEnvironment

    env = TFAgentsEnvironment(interest_evolution(users), **ENV_ARGS, jit_compile=jit_compile)
    env.reset()
    traces = []

    @tf.function(autograph=False)
    def run(seed):
        traces.append(1)

        def body(step, total):
            time_step = env.step(random_slates(users, seed, step))
            return step + 1, total + tf.reduce_sum(time_step.reward)

        return tf.while_loop(lambda step, _: step < steps, body,
                             (tf.constant(0), tf.constant(0.0)))[1]

    return lambda seed: run(tf.constant(seed, tf.int64)).numpy(), {"traces": traces}


def gym_runner(users: int, steps: int) -> tuple[Callable[[int], Any], dict[str, Any]]:
    """A call that runs `steps` `GymVectorEnv.step` calls from Python, and extra facts."""
    import numpy as np
    import tensorflow as tf
    from recsim_ng.applications.recsim_v1 import interest_evolution
    from recsim_ng.rl.gym_env import GymVectorEnv

    env = GymVectorEnv(interest_evolution(users), **ENV_ARGS)
    env.reset()
    actions_for = tf.function(
        lambda seed: tf.stack([random_slates(users, seed, step) for step in range(steps)]),
        autograph=False)

    def run(seed: int) -> float:
        actions = actions_for(tf.constant(seed, tf.int64)).numpy()  # outside the timed window
        start = time.perf_counter()
        total = 0.0
        for action in actions:
            total += float(np.sum(env.step(action)[1]))
        return time.perf_counter() - start

    return run, {}


def run_case(adapter: str, users: int, steps: int, repeats: int) -> dict[str, Any]:
    """Times one case; meant to run in a fresh process."""
    import tensorflow as tf
    tf.constant(0).numpy()  # Start the TF runtime outside the timed calls.

    build_start = time.perf_counter()
    if adapter == "gym":
        run, facts = gym_runner(users, steps)

        def timed_call(seed: int) -> float:
            return run(seed)
    else:
        run, facts = tf_agents_runner(users, steps, jit_compile=adapter == "tf_agents_xla")

        def timed_call(seed: int) -> float:
            start = time.perf_counter()
            run(seed)
            return time.perf_counter() - start
    build_s = time.perf_counter() - build_start

    first_call_s = timed_call(0)
    steady_s = statistics.median(timed_call(seed) for seed in range(1, repeats + 1))
    result = {"adapter": adapter, "users": users, "steps": steps,
              "build_s": round(build_s, 3), "first_call_s": round(first_call_s, 4),
              "steady_s": round(steady_s, 5), "ms_per_step": round(1e3 * steady_s / steps, 4),
              "user_steps_per_s": round(users * steps / steady_s), "repeats": repeats,
              "peak_rss_gib": peak_rss_gib()}
    if "traces" in facts:
        result["traces"] = len(facts["traces"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 100, 10000])
    parser.add_argument("--adapters", nargs="+", choices=["tf_agents", "tf_agents_xla", "gym"],
                        default=["tf_agents", "tf_agents_xla", "gym"])
    parser.add_argument("--steps", type=int, default=STEPS, help="environment steps per timed call")
    parser.add_argument("--repeats", type=int, default=5, help="steady-state calls per case")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    print(json.dumps(machine_info(("tensorflow", "tensorflow_probability", "tf_agents",
                                   "gymnasium"))), flush=True)
    for users in args.users:
        cases = {adapter: lambda a=adapter: side_by_side.ours(run_case, a, users, args.steps,
                                                              args.repeats)
                 for adapter in args.adapters}
        cases["recsim_v1"] = lambda: recsim_v1_case()
        results = side_by_side.interleaved(cases, args.rounds)
        v1 = side_by_side.median(results.pop("recsim_v1"), "user_steps_per_s")
        for adapter, runs in results.items():
            rate = side_by_side.median(runs, "user_steps_per_s")
            print(json.dumps({"adapter": adapter, "users": users, "user_steps_per_s": rate,
                              "recsim_v1_env_steps_per_s": v1,
                              "ratio_to_recsim_v1": round(rate / v1, 2)}), flush=True)


def recsim_v1_case() -> dict[str, Any]:
    result = side_by_side.upstream("bench_v1_env.py", env="interest_evolution", steps=20000)
    return {"user_steps_per_s": result["steps_per_s"]}


if __name__ == "__main__":
    main()
