"""The TF-Agents training job: a tiny run of every story/agent pair trains, evaluates, writes
checkpoints and summaries and exports a servable greedy policy; a rerun resumes from the
checkpoint, and a rerun with other flags is refused."""

import glob
import inspect
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from recsim_ng.examples import tf_agents_training_job as job
from recsim_ng.rl.training import SETTINGS_FILE

EPISODE_STEPS = 2
# Two users, two-step episodes (the NG stories'), two evaluation users; each agent collects its
# default steps per iteration.
TINY = {"users": 2, "episode_steps": EPISODE_STEPS, "eval_users": 2}
RESUMED_PAIR = ("interest_evolution", "reinforce")  # Checked by the resume test.
PAIRS = [(story, agent) for story in job.STORIES for agent in job.AGENTS
         if (story, agent) != RESUMED_PAIR
         and (agent not in job.OFF_POLICY or story == job.V1_STORY)]


def check_tiny_run(root_dir, settings, result, iterations):
    """What a run of `iterations` iterations leaves in `root_dir`, and its served policy."""
    assert result.train_step == iterations
    assert np.isfinite(result.evaluation["AverageReturn"])
    if settings.story == job.V1_STORY:  # Episodes end with the user's time budget.
        assert result.evaluation["AverageEpisodeLength"] > 0
    else:
        assert result.evaluation["AverageEpisodeLength"] == EPISODE_STEPS
    with open(os.path.join(root_dir, SETTINGS_FILE), encoding="utf-8") as file:
        stored = json.load(file)
    assert stored["story"] == settings.story and stored["agent"] == settings.agent
    assert tf.train.latest_checkpoint(os.path.join(root_dir, "checkpoints")).endswith(
        f"ckpt-{iterations}")
    for summaries in ("train", "eval"):
        assert glob.glob(os.path.join(root_dir, summaries, "events.out.tfevents.*"))
    policy_dir = job.latest_policy(root_dir)
    assert os.path.basename(policy_dir) == f"policy_{iterations:09d}"
    check_slates(np.array(served_slates(policy_dir)),
                 job.environment(settings.story, 1, 0, EPISODE_STEPS))


def served_slates(policy_dir):
    """The slates `[3, slate_size]` the exported policy serves at a time step of zeros."""
    policy = tf.saved_model.load(policy_dir)  # Referenced while serving: it owns the variables.
    (time_step_spec, *_), _ = policy.action.concrete_functions[0].structured_input_signature
    time_step = tf.nest.map_structure(lambda spec: tf.zeros([3, *spec.shape[1:]], spec.dtype),
                                      time_step_spec)
    return policy.action(time_step).action.numpy().tolist()


# `served_slates` in a fresh Python that imports TensorFlow and TensorFlow Probability (the type
# of the saved action distribution) only: neither recsim_ng nor TF-Agents.
SERVE_ALONE = (f"import sys\nimport tensorflow as tf\nimport tensorflow_probability\n"
               f"{inspect.getsource(served_slates)}\nprint(served_slates(sys.argv[1]))")


def check_slates(slates, env):
    """Slates of distinct candidates of `env`'s action spec, for 3 users."""
    spec = env.action_spec()
    assert slates.shape == (3, *spec.shape)
    assert np.all((slates >= 0) & (slates <= spec.maximum))
    assert all(len(set(slate)) == len(slate) for slate in slates)


@pytest.mark.parametrize("story, agent", PAIRS)
def test_tiny_run_trains_evaluates_and_exports(story, agent, tmp_path):
    settings = job.RunSettings(story, agent, **TINY)
    result = job.train(str(tmp_path), settings, iterations=1, summary_interval=1)
    assert result.resumed_from == 0
    check_tiny_run(str(tmp_path), settings, result, iterations=1)


def test_rerun_resumes_and_refuses_other_flags(tmp_path):
    root_dir = str(tmp_path)
    settings = job.RunSettings(*RESUMED_PAIR, **TINY)
    first = job.train(root_dir, settings, iterations=1, summary_interval=1)
    assert first.resumed_from == 0
    check_tiny_run(root_dir, settings, first, iterations=1)
    # More iterations continue the run from its checkpoint's step.
    resumed = job.train(root_dir, settings, iterations=2, summary_interval=1)
    assert (resumed.resumed_from, resumed.train_step) == (1, 2)
    check_tiny_run(root_dir, settings, resumed, iterations=2)
    with open(os.path.join(root_dir, SETTINGS_FILE), encoding="utf-8") as file:
        assert json.load(file)["environment_steps"] == 2 * (EPISODE_STEPS + 1)
    # Other flags, or fewer iterations, are refused before anything is built or written.
    with pytest.raises(ValueError, match=r"users: 2 in the stored run, 3 now"):
        job.train(root_dir, job.RunSettings(*RESUMED_PAIR, **{**TINY, "users": 3}), 3)
    with pytest.raises(ValueError, match=r"agent: 'reinforce' in the stored run,"
                                         r" 'tf_agents_reinforce' now"):
        job.train(root_dir, job.RunSettings(RESUMED_PAIR[0], "tf_agents_reinforce", **TINY), 3)
    with pytest.raises(ValueError, match="set to 6 environment steps"):
        job.train(root_dir, settings, iterations=1)
    policy_dir = job.latest_policy(root_dir)
    assert policy_dir.endswith("policy_000000002")
    alone = subprocess.run([sys.executable, "-c", SERVE_ALONE, policy_dir], check=True,
                           capture_output=True, text=True).stdout.strip().splitlines()[-1]
    assert json.loads(alone) == served_slates(policy_dir)
    # --overwrite deletes the stored run and stores the new settings.
    job.check_run_settings(root_dir, job.RunSettings(*RESUMED_PAIR, **{**TINY, "users": 3}), 1,
                           overwrite=True)
    assert sorted(os.listdir(root_dir)) == [SETTINGS_FILE]
    with open(os.path.join(root_dir, SETTINGS_FILE), encoding="utf-8") as file:
        assert json.load(file)["users"] == 3


@pytest.mark.parametrize("bad, named", [
    ({"story": "nope"}, "story"), ({"agent": "nope"}, "agent"),
    ({"story": "ecosystem", "agent": "slate_q_greedy"}, "slate_q_greedy"),
    ({"users": 0}, "users"), ({"collect_steps": -1}, "collect_steps"),
    ({"story": "ecosystem", "episode_steps": 3, "collect_steps": 3}, "collect_steps")])
def test_bad_settings_are_refused_by_name(bad, named):
    with pytest.raises(ValueError, match=named):
        job.RunSettings(**bad)
