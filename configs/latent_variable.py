"""Recovering per-user satisfaction sensitivities from logs
(recsim_ng/applications/latent_variable_model_learning/learning.py).

    python -m recsim_ng simulate --config=configs/latent_variable.py
    python -m recsim_ng fit --config=configs/latent_variable.py
    python -m recsim_ng fit --config=configs/latent_variable.py --config.method=latent-EM \
        --config.run_dir=runs/latent_variable_em

simulate: the log (satisfaction over time, choices by slot; run_dir/log.npz). fit: the fitted
sensitivities against the truth with 95% intervals (run_dir/fitted_parameters.json; with
latent-EM also the last HMC sample of the intents, run_dir/posterior_intents.npz). The defaults
(20 users with sensitivities over [0.5, 0.9], 10 steps, initial guess 0.3, seed 0) reproduce
README.md's "Applications" numbers: intent logged (Newton) mean absolute error 0.009, mean
standard error 0.012, largest |z| 2.0; intent latent (Monte-Carlo EM with HMC) mean absolute
error 0.015, mean standard error 0.013, largest |z| 5.0.
"""

import ml_collections


def get_config() -> ml_collections.ConfigDict:
    config = ml_collections.ConfigDict()
    config.application = "latent_variable"
    config.seed = 0  # the seed of every random draw of the run
    config.run_dir = "runs/latent_variable"  # the run's files (reruns redo the mode)
    config.overwrite = False  # delete a run stored in run_dir first
    config.num_users = 20  # true sensitivities spread evenly over [0.5, 0.9]
    config.horizon = 10  # logged steps, the initial one included
    config.method = "logged"  # fit with the intent logged (Newton) or latent (latent-EM)
    config.initial_sensitivity = 0.3  # every user's sensitivity before fitting
    config.newton_steps = 4  # logged: Newton steps (the log-likelihood is quadratic)
    config.em_iterations = 6  # latent-EM: E-step (HMC) + M-step (Newton) iterations
    config.num_samples = 20  # latent-EM: HMC samples of the intents per E-step
    config.burnin = 100  # latent-EM: HMC steps discarded per E-step (80% adapt the step size)
    config.thinning = 5  # latent-EM: HMC steps per kept sample
    config.num_candidates = 64  # latent-EM: prior draws per user to start its chain from
    return config
