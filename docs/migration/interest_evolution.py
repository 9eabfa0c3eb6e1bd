"""RecSim NG's partially observable interest evolution, ported: simulate, then train the
collaborative-filtering recommender by REINFORCE."""

import tensorflow as tf

from recsim_ng.applications.interest_evolution.simulation import (
    create_interest_evolution_simulation_network)
from recsim_ng.applications.interest_evolution.training import ReinforceTrainer
from recsim_ng.lib.runtime import TFRuntime

network, trainable_variables = create_interest_evolution_simulation_network(num_users=50)

# Simulate: variables are named in snake_case ("metrics state" is metrics_state).
trajectory = TFRuntime(network).trajectory(length=20, seed=0)
cumulative_reward = trajectory["metrics_state"].get("cumulative_reward")  # [time, users]
print(f"mean cumulative reward after 20 steps: {tf.reduce_mean(cumulative_reward[-1]):.3f}")

# Train: each step simulates a batch of users and updates the recommender's variables.
trainer = ReinforceTrainer(network, trainable_variables, horizon=20, learning_rate=3e-3)
curve = trainer.train(num_steps=10, seed=1)
print("mean cumulative reward per training step:", " ".join(f"{r:.3f}" for r in curve))
