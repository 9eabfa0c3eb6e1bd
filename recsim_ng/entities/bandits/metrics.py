"""`BanditMetrics`: cumulative reward, regret and pseudo-regret of every bandit."""

from __future__ import annotations

import tensorflow as tf

from recsim_ng.core import Value, ValueSpec
from recsim_ng.lib.entity import Entity
from recsim_ng.lib.field_spec import FieldSpec

_FIELDS = ("cumulative_reward", "cumulative_regret", "cumulative_pseudo_regret")


class BanditMetrics(Entity):
    """Running sums over steps 0 .. t, per bandit, each float [bandits]:

    - `cumulative_reward`: the rewards received;
    - `cumulative_regret`: the best arm's realised reward minus the one received;
    - `cumulative_pseudo_regret`: the best arm's expected reward minus the chosen arm's.

    They are measurements, not model outputs: no gradient flows through them.
    """

    def __init__(self, num_bandits: int, name: str = "BanditMetrics"):
        super().__init__(name=name)
        if num_bandits < 1:
            raise ValueError(f"BanditMetrics needs num_bandits >= 1, got {num_bandits}")
        self.num_bandits = num_bandits

    def specs(self) -> ValueSpec:
        return Value(**{field: FieldSpec([self.num_bandits], tf.float32) for field in _FIELDS})

    def initial_metrics(self, state: Value, choice: Value, rewards: Value) -> Value:
        """The metrics of the initial step's pull."""
        zeros = tf.zeros([self.num_bandits])
        return self.next_metrics(Value(**{field: zeros for field in _FIELDS}), state, choice,
                                 rewards)

    def next_metrics(self, previous_metrics: Value, state: Value, choice: Value,
                     rewards: Value) -> Value:
        """The previous metrics plus this step's pull (`state`, `choice` and `rewards`)."""
        arm_means = tf.stop_gradient(state.get("arm_means"))
        arm_rewards = tf.stop_gradient(state.get("arm_rewards"))
        reward = tf.stop_gradient(rewards.get("reward"))
        chosen_mean = tf.gather(arm_means, choice.get("choice"), batch_dims=1)
        increments = {
            "cumulative_reward": reward,
            "cumulative_regret": tf.reduce_max(arm_rewards, axis=-1) - reward,
            "cumulative_pseudo_regret": tf.reduce_max(arm_means, axis=-1) - chosen_mean,
        }
        return Value(**{field: tf.stop_gradient(previous_metrics.get(field)) + increments[field]
                        for field in _FIELDS})
