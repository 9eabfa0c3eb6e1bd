"""Config keys and their checks: every key known, typed and in range before any work starts."""

from __future__ import annotations

import difflib
import math
import numbers
import os
from typing import Any, Callable, Mapping

from ml_collections import ConfigDict

from recsim_ng.lib import seeds
from recsim_ng.lib.checks import is_size

Check = Callable[[str, Any], None]  # (the key as `config.<key>`, its value); ValueError if bad


class ConfigError(ValueError):
    """A config that cannot run; the message names the key as `config.<key>`."""


def size(minimum: int = 1, maximum: int | None = None) -> Check:
    """An integer >= `minimum` (and <= `maximum`, if given)."""
    def check(name: str, value: Any) -> None:
        if not is_size(value, minimum):
            raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        if maximum is not None and value > maximum:
            raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return check


def number(low: float = -math.inf, high: float = math.inf, low_open: bool = False) -> Check:
    """A finite number in [`low`, `high`] (open at `low` where `low_open`)."""
    def check(name: str, value: Any) -> None:
        valid = (isinstance(value, numbers.Real) and not isinstance(value, bool)
                 and math.isfinite(value) and (value > low if low_open else value >= low)
                 and value <= high)
        if not valid:
            interval = f"{'(' if low_open else '['}{low}, {high}]"
            raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    return check


def one_of(*choices: str) -> Check:
    """One of `choices`; the message suggests the closest."""
    def check(name: str, value: Any) -> None:
        if value not in choices:
            raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}"
                             f"{_suggestion(str(value), choices)}")
    return check


def boolean(name: str, value: Any) -> None:
    """True or False."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def seed(name: str, value: Any) -> None:
    """A seed a run accepts (`recsim_ng.lib.seeds.as_seed`'s range)."""
    size(0)(name, value)
    try:
        seeds.as_seed(value)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def text(name: str, value: Any) -> None:
    """A string."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, got {value!r}")


def folder(name: str, value: Any) -> None:
    """A non-empty path whose nearest existing parent is a writable folder."""
    text(name, value)
    if not value:
        raise ValueError(f"{name} must name a folder, got ''")
    parent = os.path.abspath(value)
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        raise ValueError(f"{name}: cannot create or write {value!r} ({parent!r} is not a"
                         " writable folder)")


def existing_file(name: str, value: Any) -> None:
    """The path of a readable file, or '' (none)."""
    text(name, value)
    if value and not os.path.isfile(value):
        raise ValueError(f"{name}: no such file {value!r}")


def flat_keys(config: ConfigDict) -> dict[str, Any]:
    """`config`'s leaves by dotted key (`agent.learning_rate`)."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        if isinstance(value, ConfigDict):
            flat.update({f"{key}.{inner}": leaf for inner, leaf in flat_keys(value).items()})
        else:
            flat[key] = value
    return flat


def check_config(config: ConfigDict, checks: Mapping[str, Check]) -> None:
    """A `ConfigError` naming the first unknown, missing or invalid key of `config`."""
    flat = flat_keys(config)
    for key in sorted(flat.keys() - checks.keys()):
        raise ConfigError(f"unknown config key config.{key}{_suggestion(key, checks)}")
    for key in sorted(checks.keys() - flat.keys()):
        raise ConfigError(f"missing config key config.{key}")
    for key, check in checks.items():
        try:
            check(f"config.{key}", flat[key])
        except ValueError as error:
            raise ConfigError(str(error)) from None


def _suggestion(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
