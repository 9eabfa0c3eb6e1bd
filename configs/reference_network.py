"""The reference recommender network (recsim_ng/examples/reference_network.py), the benchmark's.

    python -m recsim_ng simulate --config=configs/reference_network.py
    python -m recsim_ng benchmark --config=configs/reference_network.py --config.num_users=100000

simulate: click rate with its standard error; plots of clicks over time, interest per topic and
choices by slot. benchmark: user-steps per second (BENCHMARKS.md measures it against RecSim NG).
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.application = "reference_network"
    config.seed = 0  # the users, corpus and draws of the run
    config.run_dir = "runs/reference_network"  # the run's files (reruns redo the mode)
    config.overwrite = False  # delete a run stored in run_dir first
    config.num_users = 1000  # users simulated together, one batch
    config.horizon = 100  # steps, the initial one included
    config.jit_compile = True  # XLA: the faster mode from 1 to 100,000 users (BENCHMARKS.md)
    config.num_topics = 4  # dimensions of interests and document features
    config.num_docs = 100  # documents of the fixed corpus
    config.slate_size = 4  # documents recommended per step (<= num_docs)
    config.save_trajectory = False  # keep every field of the trajectory in run_dir/trajectory.npz
    config.benchmark_repeats = 5  # timed runs after the compiling one
    return config
