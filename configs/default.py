"""Default run: the reference recommender simulation (see recsim_ng/examples/reference_network.py).

Override any key on the command line, e.g. `--config.num_users=10000 --config.jit_compile=True`.
Every key is checked (type and range, and that `output` can be written) before the run starts.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.num_users = 1000
    config.horizon = 100
    config.seed = 0
    config.jit_compile = True  # XLA: the faster mode from 1 to 100,000 users (BENCHMARKS.md).
    config.num_topics = 4
    config.num_docs = 100
    config.slate_size = 4
    config.output = ""  # Path of a .npz file to save the trajectory to; empty saves nothing.
    config.overwrite = False  # Replace an existing `output` file (else the run is refused).
    return config
