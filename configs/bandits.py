"""The Bernoulli bandits demo (recsim_ng/applications/bandits_demo.py).

    python -m recsim_ng simulate --config=configs/bandits.py
    python -m recsim_ng simulate --config=configs/bandits.py --config.algorithms="UCB1,KL-UCB"

simulate: each algorithm's mean cumulative pseudo-regret over time with its 95% band, and the
final one ± its standard error. The defaults (500 bandits with arm means 0.1-0.5, 2,000 pulls,
seed 0) reproduce README.md's "Applications" numbers: uniform 399.9 ± 0.3, epsilon-greedy (0.1)
73.9 ± 2.3, UCB1 120.1 ± 0.6, KL-UCB 45.3 ± 0.6, Thompson sampling 36.1 ± 0.7.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.application = "bandits"
    config.seed = 0  # the seed of every random draw of the run
    config.run_dir = "runs/bandits"  # the run's files (reruns redo the mode)
    config.overwrite = False  # delete a run stored in run_dir first
    config.num_bandits = 500  # independent bandits, each with arm means 0.1, 0.2, ..., 0.5
    config.horizon = 2000  # pulls per bandit
    # Comma-separated, any of: uniform random, epsilon-greedy (0.1), UCB1, KL-UCB,
    # Thompson sampling.
    config.algorithms = "uniform random,epsilon-greedy (0.1),UCB1,KL-UCB,Thompson sampling"
    return config
