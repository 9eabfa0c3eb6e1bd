"""BENCHMARKS.md's workloads (benchmarks/*.py, run from a clone of the repository).

Pick the workload as the config's argument:

    python -m recsim_ng benchmark --config=configs/benchmarks.py:interest_evolution
    python -m recsim_ng benchmark --config=configs/benchmarks.py:reinforce_step \
        --config.with_upstream=True

Workloads and the BENCHMARKS.md figures their defaults reproduce ("ours"; a speed ratio also needs
--config.with_upstream=True, RecSim's side set up with `bash ../shared/upstream_bench/setup.sh`,
and is measured in the same run, interleaved, as the tables' were):
- interest_evolution: "Interest evolution, forward", the 10,000-users row, XLA with 2 shards
  (4.09 M user-steps/s, 3.5x RecSim NG's graph mode). Other rows: --config.users=1
  --config.shards=1 (XLA 79.8 k, 14.1x), users=100 shards=2, users=1000 shards=2, users=100000
  shards=20; --config.mode=graph --config.shards=1 for the graph column.
- latent_em: "Latent-variable Monte-Carlo EM", the steady iteration (0.027 s, 313x).
- reinforce_step: "REINFORCE training step", 1,000 users x 100, XLA (0.124 s, 2.3x);
  --config.mode=graph for the graph row (0.169 s).
- ecosystem_run: "Ecosystem run", 2,000 users x 300, graph (1.28 s, 1.7x); mode=xla: 1.30 s.
- adapters: "RL adapters on RecSim v1 interest evolution", 10,000 users, tf_agents_xla
  (--config.mode=xla: 2.64 M user-steps/s, 161x RecSim v1); mode=graph is tf_agents, mode=gym
  GymVectorEnv; users=1 or 100 for the other rows.
- streaming_memory: "Streaming: memory per user", 1,000,000 users (2.16 GiB peak, 1.78 M
  user-steps/s compile included); no RecSim counterpart (with_upstream must stay False).

Summary: seconds per call and user-steps per second (median, min, max over rounds), first call,
peak memory, and with_upstream the same for RecSim's side and speed_ratio; every round's raw
result is in run_dir/rounds.jsonl. Tiny run: --config.users=10 --config.repeats=1
--config.rounds=1 (--config.shards=1 for interest_evolution; latent_em keeps users=5).
"""

import ml_collections

# workload -> (users, mode, shards, repeats, rounds) of its BENCHMARKS.md table.
SIZES = {
    "interest_evolution": (10000, "xla", 2, 5, 3),
    "latent_em": (5, "xla", 1, 3, 2),
    "reinforce_step": (1000, "xla", 1, 5, 3),
    "ecosystem_run": (2000, "graph", 1, 5, 3),
    "adapters": (10000, "xla", 1, 5, 2),
    "streaming_memory": (1000000, "xla", 1, 1, 1),
}


def get_config(workload: str = "interest_evolution") -> ml_collections.ConfigDict:
    # An unknown workload keeps interest evolution's sizes, so the check names config.workload.
    users, mode, shards, repeats, rounds = SIZES.get(workload, SIZES["interest_evolution"])
    config = ml_collections.ConfigDict()
    config.application = "benchmarks"
    config.seed = 0  # unused: every script seeds its calls itself (0, 1, 2, ...)
    config.run_dir = f"runs/benchmarks/{workload}"  # summary.csv and rounds.jsonl
    config.overwrite = False  # delete a run stored in run_dir first
    config.workload = workload  # one of SIZES' keys (see the module docstring)
    config.users = users  # users simulated together (latent_em: RecSim NG's demo, 5)
    config.mode = mode  # graph or xla (adapters also gym: GymVectorEnv stepped from Python)
    config.shards = shards  # concurrent shards of the users (interest_evolution only; else 1)
    # Steady calls per round after the first, timed one; a round's figure is their median
    # (streaming_memory: 1, its one run includes compiling).
    config.repeats = repeats
    config.rounds = rounds  # fresh processes per side; figures are medians over rounds
    config.with_upstream = False  # also time RecSim's side, interleaved, for speed_ratio
    return config
