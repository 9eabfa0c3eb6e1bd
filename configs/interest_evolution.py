"""Partially observable interest evolution (recsim_ng/applications/interest_evolution/): a
collaborative-filtering recommender that sees only each user's click history, trained by
REINFORCE.

    python -m recsim_ng simulate --config=configs/interest_evolution.py
    python -m recsim_ng train --config=configs/interest_evolution.py
    python -m recsim_ng evaluate --config=configs/interest_evolution.py

simulate: the untrained recommender on the 1,000 fresh evaluation users (reward over time,
interest per topic, choices by slot, clickbait share). train: 300 REINFORCE steps of 200 users
and 20-step episodes, checkpointed in run_dir (rerunning the command resumes; more
num_training_steps continue the run). evaluate: untrained against trained on the same 1,000
fresh users. The defaults reproduce `python -m recsim_ng.applications.interest_evolution.training`
(README.md, "Applications") exactly: training curve 15.87 in the first ten steps and 18.07 in the
last ten; untrained 15.94 against trained 17.85, +1.91 +- 0.11 (17 standard errors). The
clickbait share (quality below -0.5) of slates rises from 0.46 (the corpus's own share) to 0.81.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.application = "interest_evolution"
    config.seed = 0  # the training runs' seed (training step k simulates from fold_in(seed, k))
    config.run_dir = "runs/interest_evolution"  # the run's files (created; reruns resume)
    config.overwrite = False  # delete a run stored in run_dir first
    config.num_users = 200  # users per training batch (and per evaluation batch)
    config.num_docs = 100  # documents of the frozen corpus
    config.num_topics = 2  # dimensions of the users' interests and the documents' features
    config.slate_size = 2  # documents per slate
    config.history_length = 15  # clicks the recommender remembers per user
    config.horizon = 20  # steps per episode, the initial one included
    config.num_training_steps = 300  # REINFORCE updates, one batch episode each
    config.learning_rate = 0.003  # Adam's step size
    config.eval_seed = 1  # fresh users' seed for simulate and evaluate (must differ from seed)
    config.num_eval_batches = 5  # batches of num_users fresh users (5 x 200 = 1,000)
    config.clickbait_quality = -0.5  # documents below this quality count as clickbait
    config.checkpoint_every = 50  # training steps between checkpoints (and at the end)
    config.jit_compile = True  # XLA-compile each training step and simulation
    return config
