"""`Entity`: a `tf.Module` bundling an actor's parameters and behaviour, and collecting them."""

from __future__ import annotations

import contextlib
import threading
from typing import Callable, Iterator, Mapping, Sequence, TypeVar

import tensorflow as tf

T = TypeVar("T")
TrainableVariables = Mapping[str, Sequence[tf.Variable]]

_registries = threading.local()


class Entity(tf.Module):
    """Base class of users, corpora, recommenders and other simulated actors.

    Constructing an entity inside `collect_entities()` registers it, so a story's trainable
    variables can be gathered per entity (see `story_with_trainable_variables`).
    """

    def __init__(self, name: str = "UnnamedEntity"):
        super().__init__(name=name)
        for registry in getattr(_registries, "stack", []):
            registry.append(self)


@contextlib.contextmanager
def collect_entities() -> Iterator[list[Entity]]:
    """Yields a list that fills with every `Entity` constructed inside the block."""
    stack = _registries.__dict__.setdefault("stack", [])
    registry: list[Entity] = []
    stack.append(registry)
    try:
        yield registry
    finally:
        stack.pop()  # Blocks nest strictly, so ours is the innermost.


def story_with_trainable_variables(story: Callable[[], T]) -> tuple[T, dict[str, tuple[tf.Variable, ...]]]:
    """Runs `story` and returns its output with `{entity name: trainable variables}`.

    Entities sharing a name are told apart by suffixes `_1`, `_2`, ... in construction order.
    """
    with collect_entities() as entities:
        output = story()
    variables: dict[str, tuple[tf.Variable, ...]] = {}
    for entity in entities:
        name, suffix = entity.name, 0
        while name in variables:
            suffix += 1
            name = f"{entity.name}_{suffix}"
        variables[name] = entity.trainable_variables
    return output, variables
