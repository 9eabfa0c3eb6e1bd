"""The recommender ecosystem (recsim_ng/applications/ecosystem_simulation/): content-provider
viability and user welfare under a myopic recommender with a popularity-balancing boost.

    python -m recsim_ng simulate --config=configs/ecosystem.py
    python -m recsim_ng simulate --config=configs/ecosystem.py --config.compare_without_boost=False

simulate: the users' average cumulative utility over 40 runs with its standard error, the Gini
coefficient of provider clicks with and without the boost (paired by run), and per step the
users' utility and the number of providers still publishing. The defaults reproduce README.md's
"Applications" numbers for `recsim_ng.applications.ecosystem_simulation.simulation` (RecSim NG's
demo): 40 runs of 2,000 users, 80 providers in 40 clusters, 400 documents a step, horizon 300,
boost cap 1.2: average user utility 203.7 +- 2.4. At this size the boost lowers the Gini
coefficient of provider clicks from 0.80 to 0.53 (by 0.263 +- 0.010) and keeps 34 providers
publishing at the end against 17.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.application = "ecosystem"
    config.seed = 0  # the providers' positions and the runs' seeds (run k: fold_in(seed, k))
    config.run_dir = "runs/ecosystem"  # the run's files (reruns redo the mode)
    config.overwrite = False  # delete a run stored in run_dir first
    config.num_runs = 40  # independent runs, simulated as one compiled program
    config.num_users = 2000  # users per run
    config.num_provider_clusters = 40  # clusters of providers in topic space
    config.provider_fan_out = 2  # providers per cluster (80 providers)
    config.num_topics = 2  # dimensions of the topic space
    config.provider_disp = 64.0  # variance of the cluster centres around the origin
    config.docs_per_provider = 5  # documents drawn each step per provider (400)
    config.slate_size = 3  # documents per slate
    config.horizon = 300  # steps per run, the initial one included
    config.provider_boost_cap = 1.2  # the recommender's boost of unpopular providers (0: none)
    config.compare_without_boost = True  # also simulate the same runs without the boost (Gini)
    config.trajectory_runs = 4  # the first runs whose per-step utility and providers are plotted
    config.jit_compile = True  # XLA: about 2.5 times faster on CPU at the default size
    return config
