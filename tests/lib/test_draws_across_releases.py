"""A seed draws the same on every supported TFP release.

TFP 0.25 folds a sampler's salt into its seed differently from TFP 0.23; inside
`exact_sampling` the salt goes in as TFP 0.23 folds it. The expected values were drawn on the
pinned stack (TensorFlow 2.15, TFP 0.23); CI checks them on the newest releases too.
"""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_probability as tfp

from recsim_ng.lib import draws

tfd = tfp.distributions

# Samplers that salt their seed (gamma and the distributions drawn through it, Zipf, binomial).
CASES = {
    "gamma": (lambda: tfd.Gamma(2.0, 1.0), [3.511039, 3.4577267, 1.9564469, 0.04718786]),
    "small_gamma": (lambda: tfd.Gamma(0.3, 1.0), [6.5040395e-09, 0.03455889, 1.0040129e-07,
                                                  0.03828355]),
    "beta": (lambda: tfd.Beta(2.0, 3.0), [0.1798733, 0.27680677, 0.1141851, 0.63251805]),
    "student_t": (lambda: tfd.StudentT(3.0, 0.0, 1.0), [0.33864278, -0.48516816, 0.13991575,
                                                        -0.5301511]),
    "zipf": (lambda: tfd.Zipf(1.5, dtype=tf.int32), [8, 773, 2, 3]),
    "binomial": (lambda: tfd.Binomial(10.0, probs=0.3), [3, 3, 1, 2]),
}


@pytest.mark.parametrize("name", CASES)
def test_a_seed_draws_what_it_draws_on_the_pinned_stack(name):
    make_distribution, expected = CASES[name]
    with draws.exact_sampling():
        sample = make_distribution().sample(4, seed=tf.constant([1, 2]))
    np.testing.assert_allclose(sample, expected, rtol=1e-5)
