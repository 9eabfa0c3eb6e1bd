"""RecSim NG's latent-variable model learning, ported: simulate users whose satisfaction
sensitivity is 0.8, then recover it by maximising the log-likelihood of the log."""

import tensorflow as tf

from recsim_ng.applications.latent_variable_model_learning.learning import (
    latent_variable_network)
from recsim_ng.lib.log_probability import log_probability
from recsim_ng.lib.runtime import TFRuntime

horizon, num_users = 10, 20

# Simulate the log: the network function also returns the users' sensitivity variable.
truth, _ = latent_variable_network(num_users, satisfaction_sensitivity=0.8)
traj = TFRuntime(truth).trajectory(length=horizon, seed=0)
print(f"ground-truth log-likelihood: {log_probability(truth, traj).numpy():.2f}")

# The model to fit starts every user's sensitivity at 0.3.
model, sensitivity = latent_variable_network(num_users, satisfaction_sensitivity=0.3)
optimizer = tf.keras.optimizers.Adam(learning_rate=0.05)


@tf.function(jit_compile=True)
def train_step():
    with tf.GradientTape() as tape:
        negative_log_likelihood = -log_probability(model, traj)
    optimizer.apply_gradients([(tape.gradient(negative_log_likelihood, sensitivity),
                                sensitivity)])
    return -negative_log_likelihood


for step in range(200):
    log_likelihood = train_step()
print(f"fitted log-likelihood: {log_likelihood.numpy():.2f}")
print(f"mean fitted sensitivity: {tf.reduce_mean(sensitivity).numpy():.3f}")
