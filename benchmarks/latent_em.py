"""One Monte-Carlo EM iteration of the latent-variable demo, at RecSim NG's demo sizes.

RecSim NG's `latent_variable_model_learning` demo (`../shared/upstream_bench/bench_ng_latent_em.py`
runs it unchanged): 5 users, 3 topics, slates of 4, 6 steps, the users' intents latent. One
iteration is an HMC chain over the intents (1,000 results after 500 burn-in steps, 5 leapfrog
steps, step size adapted over 400 steps) followed by one Adam step (rate 0.02) on minus the mean
log-likelihood of the logged trajectory over the last 500 samples. Ours does the same with
`LatentTrajectory.target_log_prob_fn` (`recsim_ng.applications.latent_variable_model_learning`):
the chain is one XLA-compiled program, and so is the M-step (scores for the 500 samples and
the Adam update). The two sides alternate for `--rounds` rounds; each process times its first
iteration (trace and compile included) apart from the median of the following ones.

    python benchmarks/latent_em.py [--rounds 2] [--iterations 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import side_by_side
from recsim_ng.lib.machine import machine_info

NUM_USERS, HORIZON, RESULTS, BURNIN, LEAPFROG, ADAPTATION = 5, 6, 1000, 500, 5, 400


def our_case(iterations: int) -> dict[str, Any]:
    """Times our EM iterations; meant to run in a fresh process."""
    import tensorflow as tf
    import tensorflow_probability as tfp
    from recsim_ng.applications.latent_variable_model_learning.learning import (
        latent_variable_network)
    from recsim_ng.lib import seeds
    from recsim_ng.lib.log_probability import LatentTrajectory
    from recsim_ng.lib.optimizers import Adam
    from recsim_ng.lib.runtime import TFRuntime

    simulator, _ = latent_variable_network(NUM_USERS)
    logged = TFRuntime(simulator).trajectory(HORIZON, 0)
    observed = {**logged, "user_state": logged["user_state"].at("satisfaction")}
    model, sensitivity = latent_variable_network(NUM_USERS, satisfaction_sensitivity=0.5)
    latent = LatentTrajectory(model, observed)
    optimizer = Adam([sensitivity], 0.02)

    def log_density(intent: tf.Tensor) -> tf.Tensor:  # The intent is static: one value per user.
        return latent.target_log_prob_fn(tf.tile(intent[tf.newaxis], [HORIZON, 1, 1]))

    kernel = tfp.mcmc.DualAveragingStepSizeAdaptation(
        tfp.mcmc.HamiltonianMonteCarlo(log_density, step_size=1e-4, num_leapfrog_steps=LEAPFROG),
        num_adaptation_steps=ADAPTATION)

    @tf.function(jit_compile=True, autograph=False)
    def e_step(start: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        return tfp.mcmc.sample_chain(RESULTS, start, kernel=kernel, num_burnin_steps=BURNIN,
                                     trace_fn=None, seed=seed)

    @tf.function(jit_compile=True, autograph=False)
    def m_step(samples: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = -tf.reduce_mean(tf.map_fn(log_density, samples[RESULTS // 2:]))
        optimizer.apply(tape.gradient(loss, [sensitivity]))
        return loss

    start = tf.fill([NUM_USERS, 3], 0.5)
    times = []
    for iteration in range(iterations):
        begin = time.perf_counter()
        samples = e_step(start, seeds.as_seed(iteration))
        m_step(samples).numpy()
        times.append(time.perf_counter() - begin)
        start = samples[-1]
    return {"first_iteration_s": round(times[0], 3),
            "steady_iteration_s": round(statistics.median(times[1:]), 3),
            "sensitivity": sensitivity.numpy().round(3).tolist()}


def upstream_case(iterations: int) -> dict[str, Any]:
    result = side_by_side.upstream("bench_ng_latent_em.py", iters=iterations)
    return {"first_iteration_s": result["first_iter_s"],
            "steady_iteration_s": result["steady_iter_median_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=4)
    args = parser.parse_args()
    print(json.dumps(machine_info()), flush=True)
    results = side_by_side.interleaved({
        "ours_xla": lambda: side_by_side.ours(our_case, args.iterations),
        "upstream": lambda: upstream_case(args.iterations)}, args.rounds)
    ours = side_by_side.median(results["ours_xla"], "steady_iteration_s")
    upstream = side_by_side.median(results["upstream"], "steady_iteration_s")
    print(json.dumps({
        "workload": "latent EM iteration", "ours_steady_s": ours, "upstream_steady_s": upstream,
        "ratio": round(upstream / ours, 1),
        "first_iteration_s": {name: side_by_side.median(runs, "first_iteration_s")
                              for name, runs in results.items()}}), flush=True)


if __name__ == "__main__":
    main()
