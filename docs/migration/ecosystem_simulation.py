"""RecSim NG's ecosystem simulation, ported: one run by hand, then several runs summarised."""

import tensorflow as tf

from recsim_ng.applications.ecosystem_simulation.simulation import (
    create_viable_provider_simulation_network, init_random_provider_clusters, run_simulation)
from recsim_ng.core import find_unique_field
from recsim_ng.lib.runtime import TFRuntime

provider_means = init_random_provider_clusters(
    provider_disp=64.0, provider_fan_out=2, num_provider_clusters=4, num_topics=2, seed=0)

# One run, by hand: the function returns a Network, and every run takes a seed.
network = create_viable_provider_simulation_network(provider_means, num_users=100)
final_value = TFRuntime(network).execute(num_steps=20, seed=0)
_, cumulative_reward = find_unique_field(final_value, "cumulative_reward")
print(f"one run: {tf.reduce_mean(cumulative_reward).numpy():.3f}")

# Several runs, all in one compiled program (no tf.distribute strategy needed on one machine).
mean, stderr = run_simulation(num_runs=8, provider_means=provider_means, num_users=100,
                              horizon=20, seed=1)
print(f"Average user utility: {mean:.3f} +- {stderr:.3f}")
