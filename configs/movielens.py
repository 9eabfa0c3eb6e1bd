"""MovieLens 100K: the sequential choice recipe (dynamic interest, latent users, three baselines)
fitted to the example log, its validity report, then agents on the fitted simulator.

    python -m recsim_ng fit --config=configs/movielens.py
    python -m recsim_ng simulate --config=configs/movielens.py
    python -m recsim_ng fit --config=configs/movielens.py --config.max_users=100 \
        --config.run_dir=runs/movielens_100_users    # a quick run (about a minute on 2 cores)

The defaults are the run of RESULTS.md "Fitting real logs" (all 943 users; about 17 minutes on
2 cores, README "Fitting real logs"): held-out log-likelihood per event -6.6414 (SE 0.0314) for
the latent-user dynamic model, ahead of every baseline by 6.4 to 14.3 standard errors; the
report (report.json, heldout.png, validity/*.png) and the simulator go to run_dir/report/.
simulate: random slates 0.79 +- 0.08 and fitted-myopic slates 11.96 +- 0.32 items consumed per
user (500 users, slates of 10, 50 steps, exposure effect 1).

Your own log: --config.log_file=events.csv (columns user, item, time[, rating]) with
--config.items_file=items.csv (item and its genre:* topic columns) and --config.max_users=0.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.application = "real_logs"
    config.seed = 0  # the simulated log, the latent-user fit and the agents' users
    config.run_dir = "runs/movielens"  # the run's files (reruns redo the mode)
    config.overwrite = False  # delete a run stored in run_dir first
    config.recipe = "sequential_choice"  # or click_models (configs/open_bandit.py)
    config.log_file = ""  # your CSV/Parquet log; '' fits the MovieLens 100K example
    config.items_file = ""  # with log_file: its items (`item`, `genre:*` topic columns)
    config.target_log_file = ""  # click_models only
    config.max_users = 0  # MovieLens users 1..max_users only (0: all 943)
    config.max_iterations = 500  # L-BFGS iterations per choice model
    config.latent_steps = 300  # variational EM steps of the latent-user model
    config.num_users = 500  # simulate: new users drawn from the fitted population
    config.slate_size = 10  # simulate: items per slate
    config.horizon = 50  # simulate: steps per episode
    config.exposure_effect = 1.0  # simulate: logit added to shown items (not identified by logs)
    return config
