"""FieldResolver: callables of earlier fields, observed values and missing seeds."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.core import Value, Variable
from recsim_ng.lib import seeds
from recsim_ng.lib.field_spec import FieldSpec
from recsim_ng.lib.sampling import FieldResolver

tfd = tfp.distributions
VARIABLE = Variable("user", Value(base=FieldSpec(), shifted=FieldSpec()))


def resolver(**kwargs) -> FieldResolver:
    names = [("user", "base"), ("user", "shifted")]
    return FieldResolver(seeds.FieldSeeds(seeds.as_seed(0), names), **kwargs)


def test_a_callable_receives_the_earlier_fields_it_names_and_keeps_its_defaults():
    offset = 10.0
    raw = Value(base=tfd.Normal(tf.zeros(3), 1.0),
                shifted=lambda base, offset=offset: base + offset)
    resolved = resolver()(VARIABLE, raw)
    np.testing.assert_allclose(resolved.get("shifted"), resolved.get("base") + 10.0)


def test_a_callable_naming_no_earlier_field_is_an_error_naming_variable_and_field():
    raw = Value(base=tfd.Normal(0.0, 1.0), shifted=lambda bsae: bsae + 1.0)
    with pytest.raises(ValueError, match="variable 'user', field 'shifted'.*'bsae'"):
        resolver()(VARIABLE, raw)


def test_observed_random_fields_are_scored_and_deterministic_ones_recomputed():
    raw = Value(base=tfd.Normal(0.0, 2.0), shifted=lambda base: base + 1.0)
    observed = {"user": Value(base=np.float64(0.5), shifted=np.float32(99.0))}
    score = resolver(observed=observed, record_log_probs=True)
    resolved = score(VARIABLE, raw)
    assert resolved.get("base").dtype == tf.float32  # Cast to the distribution's dtype.
    assert float(resolved.get("shifted")) == pytest.approx(1.5)
    assert float(score.log_probs["user"]["base"]) == pytest.approx(
        float(tfd.Normal(0.0, 2.0).log_prob(0.5)))


def test_drawing_without_seeds_is_an_error_naming_the_field():
    with pytest.raises(ValueError, match="'user', field 'base' is random but not observed"):
        FieldResolver(None)(VARIABLE, Value(base=tfd.Normal(0.0, 1.0), shifted=0.0))
