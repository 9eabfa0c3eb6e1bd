"""Reproduces RESULTS.md: every agent on every RecSim v1 task, with learning curves, and the
real-log fits of `docs/fitting/` (made by `python -m recsim_ng.fitting.real_logs
--output=docs/fitting`).

    python scripts/reproduce_results.py                        # all tasks (about 30 minutes)
    python scripts/reproduce_results.py --tasks interest_evolution
    python scripts/reproduce_results.py --replot               # plots and RESULTS.md only

For each task it trains and evaluates the agents of `PLANS` with `run_experiment` (the code
path of `python -m recsim_ng.applications.recsim_v1.run_experiment`), saves `docs/results/<task>.json` and the
learning-curve plot `docs/results/<task>.png`, then rewrites RESULTS.md from every saved task.
Needs the `plots` extra (matplotlib).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from typing import Any, NamedTuple

import matplotlib
import matplotlib.pyplot as plt

from recsim_ng.lib.files import atomic_writer
from recsim_ng.lib.machine import machine_info
from recsim_ng.applications.recsim_v1.experiments import (POLICIES, TASKS, TRAINING_RESTART,
                                                         run_experiment)

matplotlib.use("Agg")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS_DIR = os.path.join(ROOT, "docs", "results")
FITTING_DIR = os.path.join(ROOT, "docs", "fitting")
EVAL_USERS, SEED = 5000, 0


class Plan(NamedTuple):
    """One agent's training budget: environment steps, each an action for every train user."""

    agent: str
    environment_steps: int = 0
    train_users: int = 256
    training_restart: str = TRAINING_RESTART
    weigh_episode_steps: bool = False

    @property
    def label(self) -> str:
        """The row's name: the agent, and how its training users restart if not as usual."""
        notes = ([f"{self.training_restart.replace('_', '-')} restarts"]
                 if self.training_restart != TRAINING_RESTART else [])
        notes += ["episode steps weighed alike"] if self.weigh_episode_steps else []
        return f"{self.agent} ({', '.join(notes)})" if notes else self.agent


LEARNING = 4000  # environment steps of every learner (x 256 users = 1.02 M user steps)
PLANS = {
    "interest_evolution": [
        Plan("random"), Plan("myopic"), Plan("slate_q", LEARNING),
        Plan("slate_q_sarsa", LEARNING), Plan("slate_q_greedy", LEARNING),
        Plan("slate_q_exact", LEARNING), Plan("full_slate_q", LEARNING // 2, 128),
        Plan("reinforce", LEARNING), Plan("tf_agents_reinforce", LEARNING),
        Plan("tf_agents_ppo", LEARNING),
        Plan("slate_q", LEARNING, training_restart="per_user"),
        Plan("slate_q_greedy", 2 * LEARNING, training_restart="per_user"),
        Plan("slate_q", LEARNING, training_restart="per_user", weigh_episode_steps=True),
        Plan("slate_q_greedy", LEARNING, training_restart="per_user",
             weigh_episode_steps=True)],
    "interest_exploration": [
        Plan("random"), Plan("myopic"), Plan("cluster_ucb1"), Plan("cluster_thompson"),
        Plan("slate_q", LEARNING), Plan("slate_q_sarsa", LEARNING),
        Plan("full_slate_q", LEARNING), Plan("reinforce", LEARNING)],
    "long_term_satisfaction": [
        Plan("random"), Plan("myopic"), Plan("full_slate_q", LEARNING),
        Plan("reinforce", LEARNING)],
}

# The published figures of the learners' previous code path (RESULTS.md before the agents became
# TF-Agents agents: online learners that owned their environments), shown next to each new row.
PREVIOUS = {
    "interest_evolution": {"slate_q": "173.92 ± 0.68", "slate_q_sarsa": "173.94 ± 0.68",
                           "slate_q_greedy": "185.04 ± 0.82", "slate_q_exact": "186.72 ± 0.82",
                           "full_slate_q": "165.92 ± 0.45", "reinforce": "256.68 ± 0.96"},
    "interest_exploration": {"slate_q": "38.68 ± 0.24", "slate_q_sarsa": "38.68 ± 0.24",
                             "full_slate_q": "38.31 ± 0.23", "reinforce": "38.68 ± 0.24"},
    "long_term_satisfaction": {"full_slate_q": "1075.64 ± 5.14", "reinforce": "1116.39 ± 5.32"},
}

# What the random rows are checked against, and what to read in each table.
NOTES = {
    "interest_evolution": [
        "Random slates: RecSim v1 itself gives 160.5 ± 0.5 (95%, 2,000 episodes; measured with"
        " v1's code, see the v1 reference notes).",
        "The SlateQ paper (Ie et al. 2019, 300K training steps; as transcribed) reports random"
        " 159.2, MYOP-TS 166.3, SARSA-TS and QL-TT-TS 168.4, QL-GT-GS 172.9, QL-OT-GS 173.8 and"
        " QL-OT-OS 174.6. Here `slate_q` is QL-TT-TS, `slate_q_sarsa` SARSA-TS, `slate_q_greedy`"
        " QL-GT-GS and `slate_q_exact` QL-OT-OS; as in the paper, greedy and exact slate"
        " optimisation beat top-k. Full-slate Q (double DQN on each user's latest transition)"
        " copies its target network every 500 train steps on this task and on interest"
        " exploration (`TASK_LEARNER_CONFIGS`): with copies every 100 steps its return peaked"
        " early and then oscillated, ending at 162.91 (165.92 and 170.69 in two earlier runs)."
        " Its `train s` was measured on one thread beside other jobs (the 100-step variant"
        " took 246 s alone).",
        "Against `previously` (a run on other random draws), slate_q_sarsa and slate_q_exact"
        " land 0.73 and 1.07 below: 1.5 and 1.8 standard errors of the difference between two"
        " independent runs, within the spread of training runs (about ±2 from seed to seed).",
        "`tf_agents_reinforce` and `tf_agents_ppo` are TF-Agents' own `ReinforceAgent` (with a"
        " value-network baseline) and `PPOClipAgent` (ratio clipped at 0.2, GAE) over our"
        " `SlateActorNetwork` and `SlateValueNetwork`, trained on the same whole episodes as"
        " `reinforce`: nothing of the agents is ours but their collect policies' draws, made"
        " from stateless seeds so runs resume exactly. They learn more slowly than our"
        " REINFORCE, whose baseline is the mean return at the same step of the episode (the"
        " time budget left, which no observation shows, drives the return).",
        "Per-user restarts (each training user starts its next episode as soon as its last"
        " ends, so no user idles) alone do not help SlateQ: top-k SlateQ returns 169.81 after"
        " 4,000 steps and greedy SlateQ 172.98 after 8,000 (the `per-user restarts` rows),"
        " against 173.97 and 184.86 on synchronous episodes. The synchronous gain is a"
        " weighting: each training step averages the loss over the users still playing, so once"
        " most have finished, the few long sessions left (the users served best) weigh as much"
        " as a full batch, and every step of the episode weighs the same. Dividing by the batch"
        " size instead (every transition equal, as under per-user restarts) brings greedy SlateQ"
        " on synchronous episodes down to 174.64 ± 0.67 (a one-off variant of the loss, 4,000"
        " steps, seed 0). `--weigh_episode_steps` makes that weighting explicit"
        " (`recsim_ng.rl.collect.EpisodeStepWeights`: a transition at episode step t weighs"
        " 1 / the transitions at step t trained so far): with it, per-user restarts match the"
        " synchronous returns (top-k 174.54, greedy 184.61 after 4,000 steps), and greedy"
        " SlateQ's curve passes the synchronous run's final return (184.86) sooner: after 800"
        " steps in each of seeds 0, 1 and 2, against 1,200, 800 and 2,400 on synchronous"
        " episodes (top-k: 1,200 both, seed 0; curve points every 400 steps on 1,000 users,"
        " ± about 2). It peaks early (187-190) and then settles: at 4,000 steps seeds 1 and 2"
        " return 183.57 and 183.95 per-user against 184.16 and 186.90 synchronous (2,000"
        " users, ± 1.2-1.3; `--seed=1` or `2 --eval_users=2000` on the rows' commands). The v1"
        " learners' default stays synchronous episodes (`--training_restart`).",
        "REINFORCE is far ahead: it learns that high-quality clusters spend less of the user's"
        " time budget (budget -= watch time x (1 - 0.26 quality)), so sessions last longer."
        " SlateQ's click-only targets with gamma 0.99 do not capture that.",
    ],
    "interest_exploration": [
        "Random slates: v1's formulas give 100 x 0.2289 = 22.89 (Monte Carlo, ± 0.04).",
        "The user's affinities are hidden and static, and the learners see no history, so the"
        " best they can do is one fixed ranking of candidates by cluster and quality: SlateQ"
        " and REINFORCE converge to exactly the myopic policy's slates (identical returns). The"
        " cluster bandits personalise from each user's clicks but pay for exploring within a"
        " 100-step episode.",
        "Full-slate Q (90 ordered slates) stays near that ranking (its curve: 37.8-38.8) with"
        " its target network copied every 500 train steps; copied every 100 (its default), it"
        " fell to 33-36 as it trained (35.72 at 4,000 steps; 38.31 at an earlier run's end)."
        " Its targets are mostly the clicks still to come (about 38 over an episode), which no"
        " slate changes, so the small differences between slates are lost in their noise"
        " unless the target moves slowly; SlateQ's per-item decomposition does not have that"
        " problem. Its `train s` was measured on one thread beside other jobs.",
    ],
    "long_term_satisfaction": [
        "Random slates: a NumPy run of v1's formulas with 100,000 users gives 948.8 ± 1.0.",
        "With v1's sensitivity 0.01, satisfaction stays within 0.49-0.51, so serving the most"
        " clickbait candidate first (the myopic policy) is optimal for practical purposes;"
        " REINFORCE converges to it exactly. A larger `sensitivity` gives the intended"
        " long-term trade-off.",
        "Full-slate Q keeps its default target-network copy every 100 train steps here: every"
        " 500 ends lower (1049.08 ± 5.02; a one-off run).",
    ],
}


def command(task: str, plan: Plan) -> str:
    """The runner command that reproduces one row (configs/recsim_v1.py's defaults are the
    usual plans; a variant row gets its own run folder)."""
    if plan.agent in POLICIES:
        return f"python -m recsim_ng evaluate --config=configs/recsim_v1.py:{task},{plan.agent}"
    default = _runner_config(task, plan.agent)
    overrides = ""
    if (plan.environment_steps, plan.train_users) != (default.environment_steps,
                                                      default.train_users):
        overrides += (f" --config.environment_steps={plan.environment_steps}"
                      f" --config.train_users={plan.train_users}")
    if plan.training_restart != TRAINING_RESTART:
        overrides += f" --config.training_restart={plan.training_restart}"
    if plan.weigh_episode_steps:
        overrides += " --config.weigh_episode_steps=True"
    if overrides:
        variant = plan.label.replace(" ", "_").replace(",", "").replace("(", "").replace(")", "")
        overrides += f" --config.run_dir=runs/recsim_v1/{task}/{variant}"
    return f"python -m recsim_ng train --config=configs/recsim_v1.py:{task},{plan.agent}{overrides}"


def _runner_config(task: str, agent: str) -> Any:
    """configs/recsim_v1.py's config of `task` and `agent`."""
    spec = importlib.util.spec_from_file_location(
        "recsim_v1_config", os.path.join(ROOT, "configs", "recsim_v1.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.get_config(f"{task},{agent}")


def run_plan(task: str, plan: Plan) -> dict[str, Any]:
    """Trains and evaluates one plan; its row, with its learning curve."""
    start = time.perf_counter()
    result = run_experiment(task, plan.agent, plan.environment_steps, plan.train_users,
                            EVAL_USERS, SEED, training_restart=plan.training_restart,
                            weigh_episode_steps=plan.weigh_episode_steps)
    print(f"{task} {plan.label}: {result.evaluation.mean_return:.2f}"
          f" +- {result.evaluation.ci95_half_width:.2f}"
          f" ({time.perf_counter() - start:.0f} s)", flush=True)
    return {"agent": plan.label, "environment_steps": plan.environment_steps,
            "train_users": plan.train_users if plan.agent not in POLICIES else 0,
            "mean_return": result.evaluation.mean_return,
            "ci95_half_width": result.evaluation.ci95_half_width,
            "eval_users": result.evaluation.num_users, "train_seconds": result.train_seconds,
            "total_seconds": time.perf_counter() - start, "command": command(task, plan),
            "curve": [point._asdict() for point in result.curve]}


def run_task(task: str) -> dict[str, Any]:
    """Runs every plan of `task`; the rows and curves as a JSON-able dict."""
    return {"task": task, "machine": machine_info(),
            "rows": [run_plan(task, plan) for plan in PLANS[task]]}


def plot(results: dict[str, Any], path: str) -> None:
    """Learning curves (mean return of the curve users against training steps), with the
    fixed policies' final evaluations as dashed lines."""
    figure, axes = plt.subplots(figsize=(10, 4.8))
    colors = plt.get_cmap("tab20").colors  # distinct for up to 20 rows
    markers = "os^vD<>p*h"
    for index, row in enumerate(results["rows"]):
        color = colors[index % len(colors)]
        if row["curve"]:
            steps = [point["environment_steps"] for point in row["curve"]]
            means = [point["mean_return"] for point in row["curve"]]
            widths = [point["ci95_half_width"] for point in row["curve"]]
            axes.plot(steps, means, marker=markers[index % len(markers)], markersize=4,
                      color=color, label=row["agent"])
            axes.fill_between(steps, [m - w for m, w in zip(means, widths)],
                              [m + w for m, w in zip(means, widths)], alpha=0.2, color=color)
        else:
            axes.axhline(row["mean_return"], linestyle="--", linewidth=1, color=color,
                         label=f"{row['agent']} (fixed, {EVAL_USERS:,} users)")
    axes.set_xlabel("training environment steps (each: one action for every training user)")
    axes.set_ylabel("mean episode return (95% CI)")
    axes.set_title(f"{results['task']}: learning curves on 1,000 held-out users\n"
                   "(curves that coincide are drawn over each other)", fontsize=10)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside the curves
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def write_markdown(path: str) -> None:
    """RESULTS.md from every `docs/results/<task>.json`."""
    lines = [
        "# Results", "",
        "Agents on the RecSim v1 environments (`recsim_ng.applications.recsim_v1`), trained with",
        "`recsim_ng.rl.training.train` and evaluated by `recsim_ng.rl.evaluation.evaluate` on",
        f"{EVAL_USERS:,} fresh users (one episode each; 95% normal CI across users). Written by",
        "`python scripts/reproduce_results.py`; each row's command reproduces it alone. A",
        "training step is one action for every training user (`train users` in parallel);",
        "`train s` is training wall time without evaluations. Learning curves: every tenth of",
        "training, on 1,000 held-out users (PNG per task in `docs/results/`). The learners are",
        "TF-Agents agents trained from what a `DynamicStepDriver` collects into a replay",
        "buffer (`recsim_ng.rl.collect`), their training users restarting together once all",
        "have finished; `previously` is the figure of the code path before (online learners",
        "that owned their environments), on other random draws.", ""]
    for task in PLANS:
        results = _load(RESULTS_DIR, f"{task}.json")
        if results is None:
            continue
        spec = TASKS[task]
        machine = results["machine"]
        lines += [
            f"## {task}", "",
            f"{spec.num_candidates} candidates, slates of {spec.slate_size}"
            + (f", episodes capped at {spec.max_episode_steps} steps" if spec.max_episode_steps
               else "") + f". Hardware: {machine['cpu_count']} x {machine['cpu_model']} CPU,"
            f" {machine['memory_gib']} GiB, no GPU; TensorFlow {machine['tensorflow_version']}.",
            "",
            "| agent | training steps | train users | mean return | 95% CI | previously |"
            " train s | command |",
            "|---|---|---|---|---|---|---|---|"]
        for row in results["rows"]:
            learns = row["agent"] not in POLICIES
            lines.append(
                f"| {row['agent']} | {row['environment_steps'] if learns else '-'}"
                f" | {row['train_users'] if learns else '-'} | {row['mean_return']:.2f}"
                f" | ± {row['ci95_half_width']:.2f}"
                f" | {PREVIOUS[task].get(row['agent'], '-')}"
                f" | {row['train_seconds']:.0f} | `{row['command']}` |")
        lines += ["", *[f"- {note}" for note in NOTES[task]], "",
                  f"![{task} learning curves](docs/results/{task}.png)", ""]
    lines += fitting_markdown(FITTING_DIR)
    with atomic_writer(path, overwrite=True) as file:
        file.write("\n".join(lines))


def _load(*parts: str) -> dict | None:
    path = os.path.join(*parts)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def _table(rows: list[dict], columns: list[str], digits: int = 4) -> list[str]:
    def cell(value):
        return "-" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else (
            str(value))

    return (["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
            + ["| " + " | ".join(cell(row[c]) for c in columns) + " |" for row in rows])


def fitting_markdown(folder: str) -> list[str]:
    """The "Fitting real logs" section from the reports in `folder` (nothing if absent)."""
    movielens = _load(folder, "movielens", "report.json")
    open_bandit = _load(folder, "open_bandit", "report.json")
    if movielens is None and open_bandit is None:
        return []
    lines = ["## Fitting real logs", "",
             "Written by `python -m recsim_ng.fitting.real_logs --output=docs/fitting` (reports,"
             " plots and JSON in `docs/fitting/`; the fitted simulator's files are not committed,"
             " as MovieLens may not be redistributed).", ""]
    if movielens is not None:
        run = _load(folder, "movielens", "run.json")
        events = sum(movielens["split"].values())
        subset = " (a subset: see `--max_users` in the command)" if run and (
            "--max_users" in run["command"]) else ""
        lines += ["### MovieLens 100K: sequential choice with evolving interests", "",
                  f"{events:,} ratings{subset}."
                  f" Split: each user's first 80% of events train, the next 10% validate, the"
                  f" last 10% test ({movielens['split']['test']:,} test events); every model is"
                  " scored on the test events given the user's earlier ones. Standard errors"
                  " clustered by user; `reference_advantage` is the latent-user dynamic model's"
                  " paired gain per event over the row's model, `z` that gain in standard errors."
                  + (f" Wall time {run['seconds'] / 60:.0f} min on {run['machine']['cpu_count']}"
                     f" x {run['machine']['cpu_model']}; command `{run['command']}`."
                     if run else ""), ""]
        lines += _table(movielens["heldout"], ["model", "log_likelihood_per_event",
                                               "standard_error", "reference_advantage",
                                               "advantage_standard_error", "z"])
        estimates = [row for row in movielens["fits"]["dynamic_interest_latent_users"]["estimates"]
                     if not row["parameter"].startswith("interest[")]
        lines += ["", "The simulator (dynamic interest, latent users), population parameters:", ""]
        lines += _table(estimates, ["parameter", "estimate", "standard_error", "low", "high"])
        lines += ["", f"**Verdict:** {movielens['verdict']}."]
        if movielens["simulation_differs_in"]:
            lines.append("Where the simulated log differs from the real one (two-sample tests at"
                         " 0.05): " + "; ".join(dict.fromkeys(movielens["simulation_differs_in"]))
                         + ".")
        agents = _load(folder, "movielens", "agents.json")
        if agents:
            lines += ["", "Agents on the fitted simulator (500 new users from the fitted"
                      " population, slates of 10, 50 steps, exposure effect 1), slate items"
                      " consumed per user: " + ", ".join(
                          f"{name} {r['mean_return']:.2f} ± {r['ci95_half_width']:.2f}"
                          for name, r in agents.items()) + "."]
        lines += ["", "![held-out scores](docs/fitting/movielens/heldout.png)",
                  "![genre shares](docs/fitting/movielens/validity/topic_shares.png)",
                  "![gaps](docs/fitting/movielens/validity/gaps.png)",
                  "![sessions](docs/fitting/movielens/validity/session_lengths.png)",
                  "![diversity](docs/fitting/movielens/validity/diversity.png)", ""]
    if open_bandit is not None:
        run = _load(folder, "open_bandit", "run.json")
        within = "lies" if open_bandit["simulated_within_observed"] else "does not lie"
        lines += ["### Open Bandit: click models and a sim-to-real policy check", "",
                  f"Fitted on the uniform-random log (10,000 impressions, 3 slots); the L2"
                  f" penalty {open_bandit['penalty']:g} chosen on validation users; held-out"
                  " log-likelihood per impression on test users:"
                  + (f" wall time {run['seconds']:.0f} s." if run else ""), ""]
        lines += _table(open_bandit["heldout"], ["model", "log_likelihood_per_event",
                                                 "standard_error", "position_based_advantage",
                                                 "advantage_standard_error"], digits=5)
        lines += ["", "Slot effects (position-based model, examination relative to slot 1, 95%):",
                  ""]
        lines += _table(open_bandit["slot_effects"], ["slot", "relative_examination", "low",
                                                      "high"], digits=3)
        check = [{"estimate": name, **values}
                 for name, values in open_bandit["policy_check"].items()]
        lines += ["", "The Bernoulli Thompson sampling policy's click-through rate (95%):", ""]
        lines += _table(check, ["estimate", "value", "low", "high"], digits=5)
        lines += ["", f"The simulated rate {within} within the observed one's interval.", "",
                  "![slot effects](docs/fitting/open_bandit/slot_effects.png)",
                  "![click-through](docs/fitting/open_bandit/policy_ctr.png)", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", nargs="+", choices=list(PLANS), default=list(PLANS))
    parser.add_argument("--replot", action="store_true",
                        help="redraw the plots and RESULTS.md from the saved results")
    args = parser.parse_args()
    os.makedirs(RESULTS_DIR, exist_ok=True)
    for task in args.tasks:
        if args.replot:
            results = _load(RESULTS_DIR, f"{task}.json")
            if results is None:
                continue
        else:
            results = run_task(task)
            with atomic_writer(os.path.join(RESULTS_DIR, f"{task}.json"),
                               overwrite=True) as file:
                json.dump(results, file, indent=1)
        plot(results, os.path.join(RESULTS_DIR, f"{task}.png"))
    write_markdown(os.path.join(ROOT, "RESULTS.md"))


if __name__ == "__main__":
    main()
