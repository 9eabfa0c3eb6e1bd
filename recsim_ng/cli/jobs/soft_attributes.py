"""The soft-attribute model (`recsim_ng.applications.cav_synthetic_model`): a population of
users rating and tagging a corpus once, and its headline statistics (`simulate`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from ml_collections import ConfigDict

from recsim_ng.applications.cav_synthetic_model.simulation import (cav_network, default_config,
                                                                   population_statistics)
from recsim_ng.cli import config_checks as checks
from recsim_ng.cli.jobs import ModeOutcome
from recsim_ng.cli.plots import point
from recsim_ng.cli.progress import Progress
from recsim_ng.cli.run_folder import RunFolder
from recsim_ng.lib.runtime import TFRuntime
from recsim_ng.lib.trajectory_io import save_trajectory

TRAJECTORY_FILE = "trajectory.npz"
KEYS: dict[str, checks.Check] = {
    "num_users": checks.size(),
    "num_docs": checks.size(10),  # users rate up to 10 documents, all distinct
    "num_topics": checks.size(),
    "dimension": checks.size(2),
    "num_tags": checks.size(),
    "num_subjective_tag_groups": checks.size(0),
    "subjective_tag_group_size": checks.size(2),
    "save_trajectory": checks.boolean,
}
MAY_DIFFER = ()


def check(config: ConfigDict) -> None:
    """Tags name attributes, and the subjective tag groups fit in the tags."""
    if config.num_tags >= config.dimension:
        raise checks.ConfigError(f"config.num_tags must be < config.dimension="
                                 f"{config.dimension}, got {config.num_tags}")
    grouped = config.num_subjective_tag_groups * config.subjective_tag_group_size
    if grouped > config.num_tags:
        raise checks.ConfigError(
            f"config.num_subjective_tag_groups={config.num_subjective_tag_groups} groups of"
            f" config.subjective_tag_group_size={config.subjective_tag_group_size} tags need"
            f" {grouped} tags, more than config.num_tags={config.num_tags}")


def simulate(config: ConfigDict, folder: RunFolder, progress: Progress) -> ModeOutcome:
    """One population (a single step: users respond once to the whole corpus): ratings per user
    with its standard error, the rating histogram, tag rates, the tag/attribute correlation per
    tag and popularity of rated documents; `save_trajectory` keeps it as .npz."""
    network = cav_network(default_config(
        config.num_users, config.num_docs, config.num_topics, config.dimension, config.num_tags,
        config.num_subjective_tag_groups, config.subjective_tag_group_size))
    with progress.bar(1, "simulating the population", unit="run") as bar:
        trajectory = TFRuntime(network).trajectory(1, config.seed)
        bar.update()
    if config.save_trajectory:
        save_trajectory(folder.file(TRAJECTORY_FILE), trajectory, overwrite=True)
    statistics = population_statistics(trajectory)
    num_rated = trajectory["user_response"].get("num_rated").numpy()[0].astype(np.float64)
    summary: dict[str, Any] = {}
    for name, value in statistics.items():
        if name == "mean_num_ratings":
            summary[name] = value
            summary["mean_num_ratings_stderr"] = (
                float(num_rated.std(ddof=1) / np.sqrt(num_rated.size)) if num_rated.size > 1
                else float("nan"))
        elif name == "rating_histogram":
            summary.update({f"{name}/{level}": share for level, share in enumerate(value, 1)})
        elif isinstance(value, list):
            summary.update({f"{name}/tag {tag}": rate for tag, rate in enumerate(value)})
        else:
            summary[name] = value
    summary["trajectory_file"] = folder.file(TRAJECTORY_FILE) if config.save_trajectory else ""
    records = [point("rating_histogram", "share of ratings", str(level), share)
               for level, share in enumerate(statistics["rating_histogram"], 1)]
    return ModeOutcome(summary, records)


MODES = {"simulate": simulate}
