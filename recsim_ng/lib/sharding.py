"""`ShardedRuntime`: a network's users split into equal shards that run side by side.

Without a strategy the shards run concurrently in one TensorFlow program on this machine (with
`jit_compile=True` each is its own XLA computation, and TensorFlow runs them on different cores);
with a `tf.distribute` strategy each replica simulates one shard: `MirroredStrategy` for local
devices, `MultiWorkerMirroredStrategy` for several machines, `TPUStrategy`. Shard k holds users
`[k * local_users, (k + 1) * local_users)` and draws exactly their block of every draw of the
whole simulation (`draws.sharded_draws`), so results do not depend on the number of shards: they
equal one shard's as the determinism contract defines equal (the same uniforms; continuous values
to float rounding, since smaller batches may round differently; discrete outcomes except at
near-ties).

Users must be independent given the `replicated` variables, which hold what all users share (a
corpus, the documents on offer): those are drawn whole, identically, on every shard. Every field
of every other variable must have the user axis first. Networks whose users interact (e.g. the
ecosystem simulation, whose corpus follows all users' clicks) cannot be split by user.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Callable, Iterator, Sequence

import tensorflow as tf

from recsim_ng.core import Network, NetworkValue, Value
from recsim_ng.core.value import flatten_network_value, unflatten_network_value
from recsim_ng.lib import draws, seeds
from recsim_ng.lib.log_probability import TrajectoryLogProb
from recsim_ng.lib.runtime import FieldSelection, Flat, Summarize, Trajectory, TFRuntime

KeptFields = tuple[tuple[str, tuple[str, ...] | None], ...] | None  # FieldSelection, hashable


class ShardedRuntime:
    """Simulates `num_users` users of `make_network(users)` as equal shards (see module doc).

    `make_network` builds the network for one shard's users (under the strategy's scope, so its
    variables are mirrored). With a strategy, the shard count is its number of replicas.
    """

    def __init__(self, make_network: Callable[[int], Network], num_users: int,
                 num_shards: int | None = None, strategy: tf.distribute.Strategy | None = None,
                 replicated: Sequence[str] = (), jit_compile: bool = False,
                 record_log_probs: bool = False):
        if strategy is not None:
            if num_shards not in (None, strategy.num_replicas_in_sync):
                raise ValueError(f"num_shards={num_shards} differs from the strategy's"
                                 f" {strategy.num_replicas_in_sync} replicas")
            num_shards = strategy.num_replicas_in_sync
        num_shards = 1 if num_shards is None else num_shards
        for name, count in (("num_users", num_users), ("num_shards", num_shards)):
            if not isinstance(count, int) or isinstance(count, bool) or count < 1:
                raise ValueError(f"{name} must be a positive int, got {count!r}")
        if num_users % num_shards:
            raise ValueError(f"num_users={num_users} is not a multiple of the {num_shards} shards")
        self.num_shards, self.local_users = num_shards, num_users // num_shards
        self._strategy = strategy
        with strategy.scope() if strategy is not None else contextlib.nullcontext():
            self.network = make_network(self.local_users)
        names = [variable.name for variable in self.network.variables]
        unknown = [name for name in replicated if name not in names]
        if unknown:
            raise ValueError(f"replicated variables {unknown} are not in the network {names}")
        self._replicated = frozenset(replicated)
        self.runtime = TFRuntime(self.network, record_log_probs=record_log_probs)
        self._log_prob = TrajectoryLogProb(self.network)
        compile_shard = functools.partial(tf.function, jit_compile=jit_compile, autograph=False)
        self._shard_fns = {fn.__name__: compile_shard(fn) for fn in (
            self._shard_trajectory, self._shard_execute, self._shard_log_prob)}
        self._all_fns = {fn.__name__: tf.function(fn, autograph=False) for fn in (
            self._all_trajectory, self._all_execute, self._all_log_prob)}

    @property
    def strategy(self) -> tf.distribute.Strategy | None:
        return self._strategy

    @property
    def trace_count(self) -> int:
        """How many times the all-shards programs were traced (once per entry point and shape)."""
        return sum(fn.experimental_get_tracing_count() for fn in self._all_fns.values())

    @contextlib.contextmanager
    def shard(self, index: int | tf.Tensor) -> Iterator[TFRuntime]:
        """Inside, `runtime` simulates shard `index` (its users' block of every draw)."""
        first_user = tf.cast(index, tf.int64) * self.local_users
        with draws.sharded_draws(first_user, self.local_users, self._replicated):
            yield self.runtime

    # Public entry points, as TFRuntime's.

    def trajectory(self, length: int, seed: seeds.Seed,
                   fields: FieldSelection | None = None) -> Trajectory:
        """All users' trajectory (see `TFRuntime.trajectory`), shards joined on the user axis."""
        if not isinstance(length, int) or length < 1:
            raise ValueError(f"trajectory length must be a positive int, got {length!r}")
        kept = None if fields is None else tuple(
            (name, None if names is None else tuple(names)) for name, names in fields.items())
        values, log_probs = self._all_fns["_all_trajectory"](self._indices(), length,
                                                             seeds.as_seed(seed), kept)
        return Trajectory(unflatten_network_value(values), unflatten_network_value(log_probs))

    def execute(self, num_steps: int, seed: seeds.Seed) -> dict[str, Value]:
        """All users' value after `num_steps` steps."""
        return self.stream(num_steps, seed, None)[0]

    def stream(self, num_steps: int, seed: seeds.Seed, summarize: Summarize | None
               ) -> tuple[dict[str, Value], dict[str, tf.Tensor]]:
        """As `TFRuntime.stream`; each summary is added up over the shards, so `summarize`
        should return sums over users (and counts), not means."""
        if not isinstance(num_steps, int) or num_steps < 0:
            raise ValueError(f"num_steps must be a non-negative int, got {num_steps!r}")
        final, summaries = self._all_fns["_all_execute"](self._indices(), tf.constant(num_steps),
                                                         seeds.as_seed(seed), summarize)
        return unflatten_network_value(final), summaries

    def log_probability(self, trajectory: NetworkValue) -> tf.Tensor:
        """The log density of all users' logged trajectory, scored shard by shard."""
        flat = {name: {field: tf.convert_to_tensor(x) for field, x in val.as_dict.items()}
                for name, val in trajectory.items()}
        return self._all_fns["_all_log_prob"](self._indices(), flat)

    # One shard's work (compiled with XLA when asked).

    def _shard_trajectory(self, index: tf.Tensor, length: int, run_seed: tf.Tensor,
                          kept: KeptFields) -> tuple[Flat, Flat]:
        fields = None if kept is None else dict(kept)
        with self.shard(index) as runtime:
            trajectory = runtime.trajectory(length, run_seed, fields=fields)
        return flatten_network_value(trajectory), flatten_network_value(trajectory.log_probs)

    def _shard_execute(self, index: tf.Tensor, num_steps: tf.Tensor, run_seed: tf.Tensor,
                       summarize: Summarize | None) -> tuple[Flat, dict[str, tf.Tensor]]:
        with self.shard(index) as runtime:
            final, summaries = runtime.stream(num_steps, run_seed, summarize)
        return flatten_network_value(final), summaries

    def _shard_log_prob(self, index: tf.Tensor, trajectory: Flat) -> tf.Tensor:
        start = tf.cast(index, tf.int32) * self.local_users

        def users_of_shard(x: tf.Tensor) -> tf.Tensor:  # Gathered: see draws.philox_words.
            return tf.gather(x, start + tf.range(self.local_users), axis=1)

        local = {name: {field: x if name in self._replicated else users_of_shard(x)
                        for field, x in fields.items()}
                 for name, fields in trajectory.items()}
        return self._log_prob(unflatten_network_value(local))

    # All shards, in one program.

    def _all_trajectory(self, indices: tf.Tensor, length: int, run_seed: tf.Tensor,
                        kept: KeptFields) -> tuple[Flat, Flat]:
        results = self._each_shard("_shard_trajectory", indices, length, run_seed, kept)
        return (self._joined(self._part(results, 0), axis=1),
                self._joined(self._part(results, 1), axis=1, log_probs=True))

    def _all_execute(self, indices: tf.Tensor, num_steps: tf.Tensor, run_seed: tf.Tensor,
                     summarize: Summarize | None) -> tuple[Flat, dict[str, tf.Tensor]]:
        results = self._each_shard("_shard_execute", indices, num_steps, run_seed, summarize)
        return (self._joined(self._part(results, 0), axis=0),
                self._summed(self._part(results, 1)))

    def _all_log_prob(self, indices: tf.Tensor, trajectory: Flat) -> tf.Tensor:
        return self._summed(self._each_shard("_shard_log_prob", indices, trajectory))

    def _indices(self) -> tf.Tensor:
        """The shard indices, passed in rather than made inside the program: as constants there,
        Grappler would specialise (and XLA compile) each shard's function separately."""
        return tf.range(self.num_shards)

    def _each_shard(self, name: str, indices: tf.Tensor, *args: Any) -> Any:
        """`name`'s shard function for every shard: a list of results without a strategy, else a
        structure of per-replica values."""
        shard_fn = self._shard_fns[name]
        if self._strategy is None:
            return [shard_fn(indices[index], *args) for index in range(self.num_shards)]

        def on_replica() -> Any:
            return shard_fn(tf.distribute.get_replica_context().replica_id_in_sync_group, *args)

        return self._strategy.run(on_replica)

    def _part(self, results: Any, index: int) -> Any:
        """Part `index` of each shard's result tuple, in the layout of `_each_shard`."""
        return [result[index] for result in results] if self._strategy is None else results[index]

    def _joined(self, results: Any, axis: int, log_probs: bool = False) -> Flat:
        """Per-shard `{variable: {field: tensor}}` joined on the user `axis`; replicated
        variables' values, the same on every shard, taken from the first. Log-probs of draws
        whose event holds all the shard's users (no user axis) are added up instead."""
        first = results[0] if self._strategy is None else tf.nest.map_structure(
            lambda x: self._strategy.experimental_local_results(x)[0], results)
        joined: Flat = {}
        for name, fields in first.items():
            joined[name] = {}
            for field, tensor in fields.items():
                if name in self._replicated:
                    joined[name][field] = tensor
                    continue
                has_user_axis = tensor.shape.rank > axis and tensor.shape[axis] == self.local_users
                if log_probs and not has_user_axis:
                    joined[name][field] = self._summed(self._part_field(results, name, field))
                    continue
                if not has_user_axis:
                    raise ValueError(
                        f"variable {name!r}, field {field!r} has shape {tensor.shape}, without"
                        f" a user axis of {self.local_users} users at position {axis}: list"
                        " variables shared by all users in `replicated`")
                shards = self._part_field(results, name, field)
                joined[name][field] = (tf.concat(shards, axis) if self._strategy is None
                                       else self._gathered(shards, axis))
        return joined

    def _gathered(self, per_replica: Any, axis: int) -> tf.Tensor:
        """All replicas' values joined on `axis` (collectives do not carry booleans)."""
        if self._strategy.experimental_local_results(per_replica)[0].dtype != tf.bool:
            return self._strategy.gather(per_replica, axis)
        as_int = self._strategy.run(tf.cast, args=(per_replica, tf.int32))
        return tf.cast(self._strategy.gather(as_int, axis), tf.bool)

    def _part_field(self, results: Any, name: str, field: str) -> Any:
        if self._strategy is None:
            return [shard[name][field] for shard in results]
        return results[name][field]

    def _summed(self, results: Any) -> Any:
        if self._strategy is None:
            return tf.nest.map_structure(lambda *shards: tf.add_n(list(shards)), *results)
        return tf.nest.map_structure(
            lambda x: self._strategy.reduce(tf.distribute.ReduceOp.SUM, x, axis=None), results)
