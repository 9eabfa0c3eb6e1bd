"""The Open Bandit sample: click models (position-based, cascade) fitted to the uniform-random
log and a sim-to-real check of the Bernoulli Thompson sampling policy's click-through rate.

    python -m recsim_ng fit --config=configs/open_bandit.py

The defaults are the run of RESULTS.md "Open Bandit" (8 s of fitting on 2 cores, plus start-up):
penalty 10; held-out log-likelihood per impression -0.00914 (SE 0.00564) position-based,
-0.00919 cascade; the target policy's CTR observed 0.00420 (0.00311-0.00567), IPS 0.00504,
SNIPS 0.00525, simulated 0.00384 (0.00240-0.00600), within the observed interval. The report
(report.json, slot_effects.png, policy_ctr.png, validity/*.png, models.json) goes to
run_dir/report/. There is no simulate mode: click models fit no user simulator.

Your own logs: --config.log_file=random.csv --config.target_log_file=target.csv (columns user,
item, time, slate, position, click, propensity), optionally --config.items_file=items.csv.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.application = "real_logs"
    config.seed = 0  # the user split and the simulated clicks
    config.run_dir = "runs/open_bandit"  # the run's files (reruns redo the mode)
    config.overwrite = False  # delete a run stored in run_dir first
    config.recipe = "click_models"  # or sequential_choice (configs/movielens.py)
    config.log_file = ""  # your uniform-random CSV/Parquet log; '' fits the Open Bandit sample
    config.items_file = ""  # optional with log_file: item features (`item`, numeric columns)
    config.target_log_file = ""  # with log_file: the target policy's log
    config.max_users = 0  # sequential_choice only
    config.max_iterations = 500  # sequential_choice only
    config.latent_steps = 300  # sequential_choice only
    config.num_users = 500  # simulate (sequential_choice only)
    config.slate_size = 10  # simulate (sequential_choice only)
    config.horizon = 50  # simulate (sequential_choice only)
    config.exposure_effect = 1.0  # simulate (sequential_choice only)
    return config
