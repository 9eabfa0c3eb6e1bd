"""What the in-graph checks of logged data and of actions cost (see `recsim_ng.lib.value_checks`).

- `log_probability`: a logged trajectory of the reference network (`examples.reference_network`,
  100 documents, slates of 4, `--steps` steps) scored inside a `tf.function` of the caller's,
  in graph mode and with XLA, as built (`check_observed=True`: every observed field finite and
  in its space, deterministic fields reproduced, assertions or the -inf mask) against the same
  scoring walk with the checks off (`check_observed=False`).
- `env_step`: RecSim v1 interest evolution (10 candidates, slates of 2) stepped `--steps` times
  by `EpisodeRunner`: from Python with each network step XLA-compiled (eager, as the Gym
  adapter steps), or in one `tf.function` loop (graph, and XLA-compiled as a whole), as built
  (the action checked against its distinct-slate space) against the step without the check.

Each figure is the median of `--repeats` calls after a first (tracing) call, checked and
unchecked calls interleaved; throughput counts user-steps per second, and the ratio is checked
over unchecked time.

    python benchmarks/validation_cost.py [--users 100 10000] [--steps 10] [--repeats 9]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any, Callable

from recsim_ng.lib.machine import machine_info


def median_seconds(calls: dict[bool, Callable[[], Any]], repeats: int) -> dict[bool, float]:
    """The median time of each call, the calls interleaved so that other load on the machine
    slows both alike; each is called once first (tracing)."""
    times: dict[bool, list[float]] = {key: [] for key in calls}
    for key, call in calls.items():
        call()
    for _ in range(repeats):
        for key, call in calls.items():
            start = time.perf_counter()
            call()
            times[key].append(time.perf_counter() - start)
    return {key: statistics.median(values) for key, values in times.items()}


def log_probability_calls(users: int, steps: int, mode: str) -> dict[bool, Callable[[], Any]]:
    """Scoring calls with the checks on (True) and off (False), in a `tf.function` of the
    caller's (`graph`, `xla`)."""
    import tensorflow as tf
    from recsim_ng.examples.reference_network import reference_network
    from recsim_ng.lib.log_probability import total_log_prob
    from recsim_ng.lib.runtime import TFRuntime

    network = reference_network(users)
    logged = TFRuntime(network).trajectory(steps, seed=0)
    runtime = TFRuntime(network, record_log_probs=True)

    def scorer(checked: bool) -> Callable[[], Any]:
        score = tf.function(lambda: total_log_prob(runtime.trajectory(
            steps, None, observed=logged, check_observed=checked, fields={}).log_probs),
            jit_compile=mode == "xla", autograph=False)
        return lambda: score().numpy()

    return {checked: scorer(checked) for checked in (True, False)}


def env_step_calls(users: int, steps: int, mode: str) -> dict[bool, Callable[[], Any]]:
    """`steps` environment steps with the action check on (True) and off (False): one
    `tf.function` loop (`graph`, `xla`), or Python calls of the XLA-compiled step (`eager`)."""
    import tensorflow as tf
    from recsim_ng.applications.recsim_v1 import interest_evolution, slate_fields
    from recsim_ng.rl.episodes import EpisodeRunner

    network = interest_evolution(users, 10, 2)
    runner = EpisodeRunner(network, **slate_fields(network).adapter_arguments(),
                           jit_compile=mode == "eager")
    allowed = tf.ones([users], tf.bool)
    slates = [tf.argsort(tf.random.stateless_uniform([users, 10], [step, 0]), axis=1)[:, :2]
              for step in range(steps)]  # distinct candidates

    def one(checked: bool, slate: tf.Tensor) -> tf.Tensor:
        result = runner.step(slate) if checked else runner._advance(slate, allowed)
        return tf.reduce_sum(result.reward)

    def looper(checked: bool) -> Callable[[], Any]:
        if mode == "eager":
            return lambda: [one(checked, slate).numpy() for slate in slates]
        stacked = tf.stack(slates)
        loop = tf.function(lambda: tf.while_loop(
            lambda step, _: step < steps,
            lambda step, total: (step + 1, total + one(checked, stacked[step])),
            (tf.constant(0), tf.constant(0.0)))[1], jit_compile=mode == "xla", autograph=False)
        return lambda: loop().numpy()

    return {checked: looper(checked) for checked in (True, False)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[100, 10_000])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    print(json.dumps({"machine": machine_info()}))
    for workload, make_calls, modes in (
            ("log_probability", log_probability_calls, ("graph", "xla")),
            ("env_step", env_step_calls, ("eager", "graph", "xla"))):
        for users in args.users:
            for mode in modes:
                calls = make_calls(users, args.steps, mode)
                seconds = median_seconds(calls, args.repeats)
                user_steps = users * args.steps
                print(json.dumps({
                    "workload": workload, "mode": mode, "users": users, "steps": args.steps,
                    "checked_user_steps_per_s": round(user_steps / seconds[True]),
                    "unchecked_user_steps_per_s": round(user_steps / seconds[False]),
                    "checked_over_unchecked_time": round(seconds[True] / seconds[False], 3)}))


if __name__ == "__main__":
    main()
