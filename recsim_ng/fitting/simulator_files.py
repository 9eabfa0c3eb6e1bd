"""A fitted dynamic-interest simulator on disk: `simulator.json` plus `items.npz`, no pickle.

`simulator.json` holds the natural parameters, the gap model and the settings; `items.npz` the
per-item arrays (topic weights, popularity, quality) and the item ids. `load_simulator` gives
back what `interest_network` needs to simulate new users from the fitted population.
"""

from __future__ import annotations

import dataclasses
import json
import os

import numpy as np

from recsim_ng.fitting.gaps import GapModel
from recsim_ng.fitting.interest_network import InterestDynamics
from recsim_ng.fitting.sequences import ItemCovariates
from recsim_ng.lib.files import atomic_writer, check_writable

FORMAT = "recsim_ng.fitted_interest_simulator/1"


@dataclasses.dataclass(frozen=True)
class FittedSimulator:
    """Everything a simulation of the fitted users needs."""

    dynamics: InterestDynamics
    covariates: ItemCovariates
    gaps: GapModel
    item_ids: np.ndarray
    exclude_consumed: bool = True


def save_simulator(simulator: FittedSimulator, folder: str | os.PathLike,
                   overwrite: bool = False) -> None:
    """Writes `simulator.json` and `items.npz` into `folder` (made if missing), atomically."""
    os.makedirs(folder, exist_ok=True)
    paths = [check_writable(os.path.join(folder, name), overwrite)
             for name in ("simulator.json", "items.npz")]
    dynamics = dataclasses.asdict(simulator.dynamics)
    dynamics["interest"] = simulator.dynamics.interest.tolist()
    document = {"format": FORMAT, "dynamics": dynamics, "gaps": simulator.gaps.to_json(),
                "topic_names": list(simulator.covariates.topic_names),
                "exclude_consumed": simulator.exclude_consumed}
    with atomic_writer(paths[0], overwrite=overwrite) as file:
        json.dump(document, file, indent=2, allow_nan=False)
    with atomic_writer(paths[1], "wb", overwrite=overwrite) as file:
        np.savez(file, topics=simulator.covariates.topics,
                 popularity=simulator.covariates.popularity,
                 quality=simulator.covariates.quality,
                 item_ids=np.asarray([str(i) for i in simulator.item_ids]))


def load_simulator(folder: str | os.PathLike) -> FittedSimulator:
    """Reads what `save_simulator` wrote; a missing or foreign file is an error naming it."""
    path = os.path.join(folder, "simulator.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"no fitted simulator at {path!r}")
    with open(path, encoding="utf-8") as file:
        document = json.load(file)
    if document.get("format") != FORMAT:
        raise ValueError(f"{path!r} is not a {FORMAT} file (format {document.get('format')!r})")
    dynamics = dict(document["dynamics"], interest=np.asarray(document["dynamics"]["interest"]))
    with np.load(os.path.join(folder, "items.npz"), allow_pickle=False) as items:
        covariates = ItemCovariates(tuple(document["topic_names"]), items["topics"],
                                    items["popularity"], items["quality"])
        item_ids = items["item_ids"]
    if covariates.topics.shape[1] != len(dynamics["interest"]):
        raise ValueError(f"{path!r}: {len(dynamics['interest'])} interests for"
                         f" {covariates.topics.shape[1]} topics in items.npz")
    return FittedSimulator(InterestDynamics(**dynamics), covariates,
                           GapModel.from_json(document["gaps"]), item_ids,
                           bool(document["exclude_consumed"]))
