"""The main job (scripts/run.sh): REINFORCE on RecSim v1's interest evolution, against random.

    python -m recsim_ng simulate --config=configs/default.py   # untrained policy vs random
    python -m recsim_ng train    --config=configs/default.py   # 4,000 steps of 256 users
    python -m recsim_ng evaluate --config=configs/default.py   # trained policy vs random

It is configs/recsim_v1.py:interest_evolution,reinforce (every key documented there) with its own
run folder; the defaults reproduce RESULTS.md's REINFORCE row (256.56 ± 0.99 on 5,000 fresh
users, random 160.49) in about two minutes on a laptop CPU, plots in runs/default/plots.
"""

import importlib.util
import os

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    # The sibling file by path, so the config loads from any working directory.
    spec = importlib.util.spec_from_file_location(
        "recsim_v1_config", os.path.join(os.path.dirname(os.path.abspath(__file__)), "recsim_v1.py"))
    recsim_v1 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recsim_v1)
    config = recsim_v1.get_config("interest_evolution,reinforce")
    config.run_dir = "runs/default"  # the run's files; reruns resume
    return config
