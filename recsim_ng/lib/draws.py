"""Random draws from raw Philox words: the same uniforms in eager, graph and XLA mode.

TensorFlow's stateless kernels and XLA generate the same Philox words from one seed; they differ
only in how they turn words into floats. Every draw here starts from the words and turns them into
uniforms by exact integer and float arithmetic, so each uniform is bit-identical in every mode.
Normals (inverse CDF), categorical outcomes (inverse CDF) and rejection samplers (gamma, Poisson)
are built on those uniforms with ordinary TensorFlow ops, which XLA may round differently in the
last bits: continuous values agree to float tolerance and discrete outcomes agree except at
near-ties.

TFP distributions draw through TFP's `samplers` module; `exact_sampling()` routes those calls to
the functions here (and TFP's CPU-specialised gamma, Poisson and binomial kernels to its portable
rejection samplers, with the gamma sampler's XLA-only log-space variant switched off) while a
network's draws are built. Samplers' salts are folded into their seeds as TFP 0.23 folds them
(TFP 0.25 folds them differently), so a seed draws the same on either release. Distributions that
call TensorFlow's random kernels directly (TFP 0.23: `TruncatedNormal`) keep their own,
mode-dependent draws.

Inside `sharded_draws(first_user, local_users, replicated)` every draw is taken as a block of users
`[first_user, first_user + local_users)` of the draw for all users: element k of the local draw
is element `first_user * (size / local_users) + k` of the global Philox stream, so disjoint
shards use disjoint parts of each stream and together draw what one device would. Draws of the
variables named in `replicated` (shared by all users, e.g. a corpus) are made whole on every
shard.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import tensorflow as tf
from tensorflow.python.framework import tensor_util  # pylint: disable=g-direct-tensorflow-import
from tensorflow_probability.python.distributions import gamma as tfp_gamma
from tensorflow_probability.python.internal import implementation_selection, samplers

from recsim_ng.lib import seeds

_PHILOX = 1  # TensorFlow's id of the Philox algorithm (tf.random.Algorithm.PHILOX).
_WORDS_PER_COUNTER = 4  # Philox-4x32 makes four words per counter value.


class _Shard(threading.local):
    first_user: tf.Tensor | None = None
    local_users: int = 0
    replicated: frozenset[str] = frozenset()


_shard = _Shard()


@contextlib.contextmanager
def sharded_draws(first_user: tf.Tensor, local_users: int,
                  replicated: frozenset[str] = frozenset()) -> Iterator[None]:
    """Draws inside are users `[first_user, first_user + local_users)` of all users' draws,
    except those of the variables in `replicated` (see `drawing_variable`)."""
    saved = _shard.first_user, _shard.local_users, _shard.replicated
    _shard.first_user, _shard.local_users = tf.cast(first_user, tf.uint64), local_users
    _shard.replicated = frozenset(replicated)
    try:
        yield
    finally:
        _shard.first_user, _shard.local_users, _shard.replicated = saved


@contextlib.contextmanager
def drawing_variable(name: str) -> Iterator[None]:
    """Draws inside belong to the variable `name`: whole, not a shard, if it is replicated."""
    if name not in _shard.replicated:
        yield
        return
    with unsharded():
        yield


@contextlib.contextmanager
def unsharded() -> Iterator[None]:
    """Draws inside are whole, not a block of users (e.g. seeds, shared by every user)."""
    saved = _shard.first_user
    _shard.first_user = None
    try:
        yield
    finally:
        _shard.first_user = saved


def philox_words(shape: Sequence[int] | tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """`uint32` Philox words of `shape`, identical in eager, graph and XLA mode."""
    # As non-negative int64: TensorFlow's kernel sign-extends negative int32 seeds, XLA does not.
    unsigned = tf.cast(tf.bitcast(tf.cast(seed, tf.int32), tf.uint32), tf.int64)
    key, counter = tf.raw_ops.StatelessRandomGetKeyCounter(seed=unsigned)
    if _shard.first_user is None:
        return tf.raw_ops.StatelessRandomUniformFullIntV2(
            shape=_shape_tensor(shape), key=key, counter=counter, alg=_PHILOX, dtype=tf.uint32)
    shape = _shape_tensor(shape)
    size = tensor_util.constant_value_as_shape(shape).num_elements()
    local_users = _shard.local_users
    message = (f"a sharded draw is not a whole number of draws for each of the {local_users}"
               " users of this shard; variables without a leading user axis must be replicated,"
               " not sharded")
    if size is None:  # Known only when the graph runs (and to XLA, as a compile-time constant).
        size = tf.reduce_prod(shape)
        with tf.control_dependencies([tf.debugging.assert_equal(size % local_users, 0,
                                                                message=message)]):
            size = tf.identity(size)
    elif size % local_users:
        raise ValueError(f"{message} (shape {shape})")
    start = _shard.first_user * tf.cast(size // local_users, tf.uint64)
    skip = start // _WORDS_PER_COUNTER
    low = counter[0] + skip
    counter = tf.stack([low, counter[1] + tf.cast(low < skip, tf.uint64)])
    words = tf.raw_ops.StatelessRandomUniformFullIntV2(
        shape=tf.reshape(size + _WORDS_PER_COUNTER - 1, [1]), key=key, counter=counter,
        alg=_PHILOX, dtype=tf.uint32)
    # Gathered, not sliced: XLA needs a slice's start at compile time, so slicing would compile
    # one program per shard.
    offset = tf.cast(start % _WORDS_PER_COUNTER, tf.int32)
    return tf.reshape(tf.gather(words, offset + tf.range(size)), shape)


def unit_uniform(shape: Sequence[int] | tf.Tensor, seed: tf.Tensor,
                 dtype: tf.DType = tf.float32) -> tf.Tensor:
    """Uniforms on the open interval (0, 1): (k + 1/2) 2^-b for a random b-bit integer k.

    23 bits (one word) for float32 and narrower floats, 52 bits (two words) for float64: one bit
    fewer than the significand, so k + 1/2 is exact and no uniform rounds to 0 or 1.
    """
    dtype = tf.as_dtype(dtype)
    if dtype == tf.float64:
        words = tf.cast(philox_words(_pairs(shape), seed), tf.float64)
        high = tf.floor(words[..., 0] * 2.0 ** -6)  # 26 bits
        low = tf.floor(words[..., 1] * 2.0 ** -6)   # 26 bits
        return (high * 2.0 ** 26 + low + 0.5) * 2.0 ** -52
    integer = tf.bitwise.right_shift(philox_words(shape, seed), 9)
    uniform_32 = (tf.cast(integer, tf.float32) + 0.5) * 2.0 ** -23
    return tf.cast(uniform_32, dtype)


def _pairs(shape: Sequence[int] | tf.Tensor) -> tf.Tensor:
    """`shape + [2]`: two words per draw, kept together so draws stay in user-major order."""
    return tf.concat([_shape_tensor(shape), [2]], 0)


def _shape_tensor(shape: Sequence[int] | tf.Tensor) -> tf.Tensor:
    return tf.cast(tf.convert_to_tensor(shape), tf.int32)


# Replacements for TFP's `samplers` functions, with their signatures.


def uniform(shape: Any, minval: Any = 0, maxval: Any = None, dtype: tf.DType = tf.float32,
            seed: Any = None, name: str | None = None) -> tf.Tensor:
    """As `tf.random.stateless_uniform`: floats in [minval, maxval), integers by modulo."""
    with tf.name_scope(name or "uniform"):
        seed = samplers.sanitize_seed(seed)
        dtype = tf.as_dtype(dtype)
        if dtype.is_floating:
            maxval = 1 if maxval is None else maxval
            minval, maxval = (tf.cast(bound, dtype) for bound in (minval, maxval))
            return minval + (maxval - minval) * unit_uniform(shape, seed, dtype)
        if maxval is None:  # Full-range integers.
            if dtype.size == 8:
                words = tf.cast(philox_words(_pairs(shape), seed), tf.uint64)
                joined = tf.bitwise.left_shift(words[..., 0], 32) | words[..., 1]
                return tf.bitcast(joined, dtype)
            words = philox_words(shape, seed)
            return tf.bitcast(words, dtype) if dtype.size == 4 else tf.cast(words, dtype)
        minval, maxval = (tf.cast(bound, tf.int64) for bound in (minval, maxval))
        offset = tf.cast(philox_words(shape, seed), tf.int64) % (maxval - minval)
        return tf.cast(minval + offset, dtype)


def normal(shape: Any, mean: Any = 0.0, stddev: Any = 1.0, dtype: tf.DType = tf.float32,
           seed: Any = None, name: str | None = None) -> tf.Tensor:
    """As `tf.random.stateless_normal`, by the inverse normal CDF of one uniform per draw."""
    with tf.name_scope(name or "normal"):
        standard = tf.math.ndtri(unit_uniform(shape, samplers.sanitize_seed(seed), dtype))
        return tf.cast(mean, dtype) + tf.cast(stddev, dtype) * standard


def categorical(logits: Any, num_samples: Any, dtype: tf.DType | None = None, seed: Any = None,
                name: str | None = None) -> tf.Tensor:
    """As `tf.random.stateless_categorical`: `[B, num_samples]` indices from `[B, C]` logits,
    by the inverse CDF of one uniform per draw. Classes of probability zero are never drawn."""
    with tf.name_scope(name or "categorical"):
        logits = tf.convert_to_tensor(logits)
        dtype = tf.as_dtype(dtype or tf.int64)
        batch = logits.shape[0] if logits.shape[0] is not None else tf.shape(logits)[0]
        uniforms = unit_uniform([batch, num_samples], samplers.sanitize_seed(seed), logits.dtype)
        weights = tf.exp(logits - tf.reduce_max(logits, -1, keepdims=True))
        return tf.cast(inverse_cdf_index(weights[:, None, :], uniforms)[0], dtype)


def inverse_cdf_index(weights: tf.Tensor, uniforms: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The class (int32 `[...]`) whose slice of the cumulative `weights` (`[..., C]`, non-negative,
    unnormalised) holds each uniform `[...]`, and the weights' total `[...]`. Classes of weight
    zero are never drawn; if every weight is zero, the last class is.

    Cumulative sums are products with a triangular matrix (TensorFlow's and XLA's cumulative-sum
    kernels are slow on CPU), and many classes are searched in blocks: the block first, by
    cumulative block totals, then the class within it.
    """
    num_classes = weights.shape[-1]
    if num_classes is None:
        raise ValueError("inverse_cdf_index needs a static number of classes")
    if num_classes <= 2 * _CDF_BLOCK:
        cumulative = _cumulative(weights)
        total = cumulative[..., -1]
        return _first_above(cumulative, uniforms * total), total
    num_blocks = -(-num_classes // _CDF_BLOCK)
    in_block = np.arange(num_classes) // _CDF_BLOCK
    block_totals = tf.tensordot(weights, tf.one_hot(in_block, num_blocks, dtype=weights.dtype),
                                1)
    block_cumulative = _cumulative(block_totals)
    total = block_cumulative[..., -1]
    targets = uniforms * total
    block = _first_above(block_cumulative, targets)
    batch_dims = weights.shape.rank - 1
    before = tf.gather(block_cumulative - block_totals, block, batch_dims=batch_dims)
    positions = block[..., None] * _CDF_BLOCK + tf.range(_CDF_BLOCK)
    member_weights = tf.where(positions < num_classes,
                              tf.gather(weights, tf.minimum(positions, num_classes - 1),
                                        batch_dims=batch_dims),
                              tf.zeros([], weights.dtype))
    within = _first_above(_cumulative(member_weights), targets - before)
    return tf.minimum(block * _CDF_BLOCK + within, num_classes - 1), total


_CDF_BLOCK = 16


def _cumulative(weights: tf.Tensor) -> tf.Tensor:
    """Cumulative sums over the last axis, as a product with an upper-triangular matrix."""
    size = weights.shape[-1]
    return tf.tensordot(weights, np.triu(np.ones([size, size], weights.dtype.as_numpy_dtype)), 1)


def _first_above(cumulative: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """The first class whose cumulative weight exceeds its target, never one of weight zero:
    rounding can put a target at or above the total, which then picks the last class that adds
    weight (and the last class if none does)."""
    total = cumulative[..., -1:]
    index = tf.reduce_sum(tf.cast(cumulative <= targets[..., None], tf.int32), -1)
    last_possible = tf.reduce_sum(tf.cast(cumulative < total, tf.int32), -1)
    return tf.where(total[..., 0] > 0, tf.minimum(index, last_possible), cumulative.shape[-1] - 1)


def sanitize_seed(seed: Any, salt: str | None = None, name: str | None = None) -> Any:
    """As TFP's `sanitize_seed`, folding a stateless seed's salt in as TFP 0.23 does: the salt's
    whole SHA-512 hash (TFP 0.25 folds in the hash modulo 2^31 - 1)."""
    if callable(seed):  # e.g. a SeedStream.
        seed = seed()
    if salt is None or samplers.is_stateful_seed(seed):
        return _tfp_samplers["sanitize_seed"](seed, salt=salt, name=name)
    with tf.name_scope(name or "sanitize_seed"):
        hashed = int(hashlib.sha512(salt.encode("utf-8")).hexdigest(), 16)
        return _tfp_samplers["fold_in"](_tfp_samplers["sanitize_seed"](seed), hashed)


def split_seed(seed: Any, n: Any = 2, salt: str | None = None,
               name: str | None = None) -> Any:
    """As TFP's `split_seed`: `n` seeds from the seed's Philox words."""
    with tf.name_scope(name or "split_seed"):
        seed = samplers.sanitize_seed(seed, salt=salt)
        # The shard offset must not apply to seeds: they are the same for every user.
        with unsharded():
            split = tf.bitcast(philox_words(tf.stack([n, 2]), seed), tf.int32)
        return tf.unstack(split) if isinstance(n, int) else split


def fold_in(seed: Any, salt: Any) -> tf.Tensor:
    """As TFP's `fold_in`, exact in every mode for tensor salts too."""
    if isinstance(salt, int):
        return _tfp_samplers["fold_in"](seed, salt)
    return seeds.fold_in(seed, tf.cast(salt, tf.int64))


def get_integer_seed(seed: Any) -> Any:
    """As TFP's `get_integer_seed`: an integer in [0, 2**31)."""
    if isinstance(seed, int):
        return seed % 2**31
    with unsharded():
        word = philox_words([], samplers.sanitize_seed(seed))
    return tf.cast(tf.bitwise.right_shift(word, 1), tf.int32)


def shuffle(value: Any, seed: Any = None, name: str | None = None) -> tf.Tensor:
    """As TFP's `shuffle`: `value` permuted along its first axis."""
    with tf.name_scope(name or "shuffle"):
        value = tf.convert_to_tensor(value)
        keys = philox_words(tf.shape(value)[:1], samplers.sanitize_seed(seed))
        return tf.gather(value, tf.argsort(tf.cast(keys, tf.int64)))


def gamma(shape: Any, alpha: Any, beta: Any = None, dtype: tf.DType = tf.float32,
          seed: Any = None, name: str | None = None) -> tf.Tensor:
    """As `tf.random.stateless_gamma` (shape + broadcast parameters), by TFP's rejection sampler."""
    with tf.name_scope(name or "gamma"):
        alpha = tf.convert_to_tensor(alpha, dtype)
        rate = None if beta is None else tf.convert_to_tensor(beta, dtype)
        return tfp_gamma.random_gamma(shape, alpha, rate, seed=samplers.sanitize_seed(seed))


def _portable_implementation(fn_name: str, default_fn: Callable[..., Any],
                             cpu_fn: Callable[..., Any]) -> Callable[..., Any]:
    """TFP's implementation switch, always taking the portable (XLA-friendly) implementation."""
    del fn_name, cpu_fn
    return lambda **kwargs: (default_fn(**kwargs), tf.constant(1.0))


def _never_xla() -> bool:
    """TFP's XLA test, answering no: one algorithm in every mode."""
    return False


_REPLACEMENTS: dict[str, Callable[..., Any]] = {
    "uniform": uniform, "normal": normal, "categorical": categorical, "split_seed": split_seed,
    "fold_in": fold_in, "get_integer_seed": get_integer_seed, "shuffle": shuffle, "gamma": gamma,
    "sanitize_seed": sanitize_seed}
_tfp_samplers = {name: getattr(samplers, name) for name in _REPLACEMENTS}
_tfp_implementation_selecting = implementation_selection.implementation_selecting
_tfp_is_xla = implementation_selection.is_xla
_lock = threading.RLock()
_depth = 0


@contextlib.contextmanager
def exact_sampling() -> Iterator[None]:
    """TFP distributions draw from Philox words (see the module docstring) inside this block.

    The switch is process-wide while any thread is inside the block; other threads' TFP draws
    made meanwhile also come from the words (valid draws, only differently generated).
    """
    global _depth
    with _lock:
        if _depth == 0:
            for name, replacement in _REPLACEMENTS.items():
                setattr(samplers, name, replacement)
            implementation_selection.implementation_selecting = _portable_implementation
            implementation_selection.is_xla = _never_xla
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for name, original in _tfp_samplers.items():
                    setattr(samplers, name, original)
                implementation_selection.implementation_selecting = \
                    _tfp_implementation_selecting
                implementation_selection.is_xla = _tfp_is_xla
