"""RecSim NG's import paths, and the migration guide's table of its public names."""

import importlib
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "migrating_from_recsim_ng.md"


def resolve(path: str):
    """The object at a dotted path: the longest importable module prefix, then attributes."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            found = getattr(found, attribute)
        return found
    raise ModuleNotFoundError(path)


def test_core_modules_are_recsim_ng_modules():
    from recsim_ng.core import network, value, variable  # pylint: disable=import-outside-toplevel

    v = value.Value(a=value.FieldSpec())
    assert isinstance(v, value.ValueSpec) and value.FieldSpec.__module__ == value.__name__
    assert variable.Variable(name="x", spec=v).name == "x"
    assert variable.value.__module__ == variable.__name__
    assert network.Network.__module__ == network.__name__


@pytest.mark.parametrize("alias, ours", [
    ("recsim_ng.lib.tensorflow.runtime.TFRuntime", "recsim_ng.lib.runtime.TFRuntime"),
    ("recsim_ng.lib.tensorflow.runtime.PythonRuntime", "recsim_ng.lib.runtime.PythonRuntime"),
    ("recsim_ng.lib.python.runtime.PythonRuntime", "recsim_ng.lib.runtime.PythonRuntime"),
    ("recsim_ng.lib.tensorflow.field_spec.FieldSpec", "recsim_ng.lib.field_spec.FieldSpec"),
    ("recsim_ng.lib.tensorflow.field_spec.DynamicFieldSpec",
     "recsim_ng.lib.field_spec.DynamicFieldSpec"),
    ("recsim_ng.lib.tensorflow.entity.Entity", "recsim_ng.lib.entity.Entity"),
    ("recsim_ng.lib.tensorflow.entity.story_with_trainable_variables",
     "recsim_ng.lib.entity.story_with_trainable_variables"),
    ("recsim_ng.stories.recommendation_simulation.recs_story",
     "recsim_ng.stories.recommendation.recs_story"),
    ("recsim_ng.stories.recommendation_simulation.simplified_recs_story",
     "recsim_ng.stories.recommendation.simplified_recs_story"),
    ("recsim_ng.stories.recommendation_simulation.recs_story_using_logged_slate_docs",
     "recsim_ng.stories.recommendation.recs_story_using_logged_slate_docs"),
    ("recsim_ng.stories.static_recs_simulation.static_recs_story",
     "recsim_ng.stories.recommendation.static_recs_story"),
])
def test_recsim_ng_paths_are_aliases_of_ours(alias, ours):
    assert resolve(alias) is resolve(ours)


def guide_table() -> list[tuple[str, str]]:
    rows = re.findall(r"^\| `([^|]+)` \| (.+?) \|", GUIDE.read_text(), re.MULTILINE)
    assert len(rows) > 100
    return rows


def test_the_guide_names_a_counterpart_or_a_reason_for_every_row():
    for recsim_ng_name, ours in guide_table():
        path = re.fullmatch(r"`(recsim_ng\.[\w.]+)`", ours)
        if path is None:
            assert ours.startswith("none: "), recsim_ng_name
        else:
            assert resolve(path.group(1)) is not None


@pytest.mark.parametrize("module", [
    "core.value", "core.variable", "core.network", "lib.runtime", "lib.python.runtime",
    "lib.tensorflow.runtime", "lib.tensorflow.entity", "lib.tensorflow.field_spec",
    "lib.tensorflow.log_probability", "lib.tensorflow.data", "lib.tensorflow.util",
    "lib.jax.runtime", "lib.data", "entities.choice_models.affinities",
    "entities.choice_models.selectors", "entities.recommendation.user",
    "entities.recommendation.corpus", "entities.recommendation.recommender",
    "entities.recommendation.metrics", "entities.state_models.state",
    "entities.state_models.static", "entities.state_models.dynamic",
    "entities.state_models.estimation", "entities.bandits.algorithm", "entities.bandits.context",
    "entities.bandits.generator", "entities.bandits.metrics", "entities.bandits.problem",
    "stories.recommendation_simulation", "stories.static_recs_simulation",
    "stories.bandit_simulation", "applications.demo"])
def test_the_guide_covers_every_recsim_ng_module(module):
    assert any(name.startswith(module + ".") for name, _ in guide_table())


def test_recsim_ng_paths_work_for_every_name_the_guide_says_is_the_same():
    """A row with no note says the concept is the same: where RecSim NG's module exists here,
    the name imported from it is our counterpart, so a RecSim NG import line works as written."""
    rows = re.findall(r"^\| `([\w.]+)` \| `(recsim_ng\.[\w.]+)` \| *\|$", GUIDE.read_text(),
                      re.MULTILINE)
    assert len(rows) > 40
    broken = []
    for recsim_ng_name, ours in rows:
        module, _, name = f"recsim_ng.{recsim_ng_name}".rpartition(".")
        try:
            found = importlib.import_module(module)
        except ModuleNotFoundError:
            continue
        if getattr(found, name, None) is not resolve(ours):
            broken.append(recsim_ng_name)
    assert not broken
