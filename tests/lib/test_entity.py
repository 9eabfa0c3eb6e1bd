"""Tests for `Entity`, `collect_entities` and `story_with_trainable_variables`."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Network, Value, Variable
from recsim_ng.core.variable import value
from recsim_ng.lib.entity import Entity, collect_entities, story_with_trainable_variables
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.log_probability import log_probability
from recsim_ng.lib.runtime import TFRuntime

tfd = tfp.distributions


class _Weighted(Entity):
    """An entity with two trainable variables and one non-trainable variable."""

    def __init__(self, name, mean=0.0):
        super().__init__(name=name)
        self.mean = tf.Variable(mean, name="mean")
        self.log_scale = tf.Variable(0.0, name="log_scale")
        self.step_count = tf.Variable(0, trainable=False, name="step_count")


class _Parameterless(Entity):
    def __init__(self, name):
        super().__init__(name=name)


def _ids(variables):
    return {id(variable) for variable in variables}


def test_entity_is_a_tf_module_with_its_name():
    entity = _Weighted("user")
    assert isinstance(entity, tf.Module)
    assert entity.name == "user"
    assert _ids(entity.trainable_variables) == _ids([entity.mean, entity.log_scale])


def test_default_entity_name():
    assert Entity().name == "UnnamedEntity"


def test_story_output_is_returned_with_each_entity_trainable_variables():
    entities = {}

    def story():
        entities["user"] = _Weighted("user")
        entities["corpus"] = _Weighted("corpus")
        return "the network"

    output, variables = story_with_trainable_variables(story)
    assert output == "the network"
    assert list(variables) == ["user", "corpus"]
    for name, entity in entities.items():
        assert _ids(variables[name]) == _ids([entity.mean, entity.log_scale])
        assert len(variables[name]) == 2


def test_returned_variables_are_the_entity_variables_themselves():
    entities = []
    _, variables = story_with_trainable_variables(lambda: entities.append(_Weighted("user")))
    (user,) = entities
    returned = {variable.name: variable for variable in variables["user"]}
    assert returned["mean:0"] is user.mean
    assert returned["log_scale:0"] is user.log_scale
    returned["mean:0"].assign(4.5)  # The very same object: assigning one changes the other.
    assert float(user.mean.numpy()) == 4.5


def test_non_trainable_variables_are_excluded():
    entities = []
    _, variables = story_with_trainable_variables(lambda: entities.append(_Weighted("user")))
    assert id(entities[0].step_count) not in _ids(variables["user"])
    assert all(variable.trainable for variable in variables["user"])


def test_entity_without_variables_is_listed_with_no_variables():
    _, variables = story_with_trainable_variables(lambda: _Parameterless("metrics"))
    assert variables == {"metrics": ()}


def test_entities_constructed_outside_the_story_are_not_included():
    outsider = _Weighted("outsider")

    def story():
        _Weighted("insider")
        return outsider  # Used by the story, but not constructed in it.

    output, variables = story_with_trainable_variables(story)
    assert output is outsider
    assert list(variables) == ["insider"]
    _Weighted("after")  # No longer collecting.
    assert list(variables) == ["insider"]


def test_duplicate_entity_names_get_suffixes_in_construction_order():
    entities = []

    def story():
        entities.extend(_Weighted("user", mean=float(i)) for i in range(3))
        entities.append(_Weighted("corpus"))

    _, variables = story_with_trainable_variables(story)
    assert list(variables) == ["user", "user_1", "user_2", "corpus"]
    for name, entity in zip(["user", "user_1", "user_2"], entities):
        assert _ids(variables[name]) == _ids([entity.mean, entity.log_scale])


# collect_entities.


def test_collect_entities_collects_in_construction_order():
    with collect_entities() as collected:
        first, second = _Weighted("a"), _Parameterless("b")
    _Weighted("c")
    assert [id(entity) for entity in collected] == [id(first), id(second)]


def test_nested_collections_both_see_inner_entities():
    with collect_entities() as outer:
        before = _Weighted("before")
        with collect_entities() as inner:
            inside = _Weighted("inside")
    assert [entity.name for entity in inner] == ["inside"]
    assert [entity.name for entity in outer] == ["before", "inside"]
    assert outer[1] is inside and outer[0] is before


def test_outer_collection_keeps_collecting_after_an_inner_one_closes():
    with collect_entities() as outer:
        with collect_entities() as inner:
            _Weighted("inside")
        _Weighted("after_inner")
    assert [entity.name for entity in inner] == ["inside"]
    assert [entity.name for entity in outer] == ["inside", "after_inner"]


def test_story_inside_a_collection_reports_to_both():
    with collect_entities() as outer:
        _, variables = story_with_trainable_variables(lambda: _Weighted("user"))
        _Weighted("corpus")
    assert list(variables) == ["user"]
    assert [entity.name for entity in outer] == ["user", "corpus"]


def test_collection_closes_when_the_block_raises():
    with pytest.raises(RuntimeError):
        with collect_entities() as collected:
            _Weighted("a")
            raise RuntimeError("story failed")
    _Weighted("b")
    assert [entity.name for entity in collected] == ["a"]


# Gradients through the collected variables.


class _Prior(Entity):
    def __init__(self):
        super().__init__(name="prior")
        self.mu = tf.Variable(0.5, name="mu")


def _story():
    prior = _Prior()
    observation = Variable("observation", Value(x=FieldSpec([4], tf.float32)))
    observation.value = value(lambda: Value(x=tfd.Normal(prior.mu * tf.ones([4]), 1.0)))
    return Network([observation])


def test_collected_variable_gets_the_exact_log_probability_gradient():
    network, variables = story_with_trainable_variables(_story)
    (mu,) = variables["prior"]
    trajectory = TFRuntime(network).trajectory(3, seed=5)
    x = np.asarray(trajectory["observation"].get("x"))
    assert x.shape == (3, 4)
    mu.assign(1.25)  # Score the log away from the simulating mean; the gradient must follow.
    with tf.GradientTape() as tape:
        log_prob = log_probability(network, trajectory)
    gradient = tape.gradient(log_prob, mu)
    assert gradient is not None
    # d/dmu sum log N(x; mu, 1) = sum(x - mu).
    np.testing.assert_allclose(gradient.numpy(), np.sum(x - 1.25), rtol=1e-5, atol=1e-5)
    expected = np.sum(-0.5 * (x - 1.25) ** 2 - 0.5 * np.log(2 * np.pi))
    np.testing.assert_allclose(log_prob.numpy(), expected, rtol=1e-5)
