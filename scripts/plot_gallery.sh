#!/usr/bin/env bash
# Regenerates docs/plots/: one example of each kind of plot the runner draws, each from the
# command beside it (run folders under runs/gallery/, replaced). About 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
run() {  # NAME MODE CONFIG [OVERRIDES...]
  local name=$1 mode=$2 config=$3
  shift 3
  .venv/bin/python -m recsim_ng "$mode" --config="$config" --config.run_dir="runs/gallery/$name" \
    --quiet "$@" > /dev/null
}
fresh() { rm -rf "runs/gallery/$1"; }
mkdir -p docs/plots
for name in myopic interest_evolution ecosystem bandits open_bandit reference latent soft; do
  fresh "$name"
done
run myopic evaluate configs/recsim_v1.py:interest_evolution,myopic --config.eval_users=1000
run interest_evolution simulate configs/interest_evolution.py
run interest_evolution train configs/interest_evolution.py
run ecosystem simulate configs/ecosystem.py --config.num_runs=8 --config.num_users=500
run bandits simulate configs/bandits.py
run open_bandit fit configs/open_bandit.py
run reference simulate configs/reference_network.py
run latent fit configs/latent_variable.py
run soft simulate configs/soft_attributes.py
copy() { cp "runs/gallery/$1/plots/$2.png" "docs/plots/$2.png"; }
copy myopic reward_over_time
copy interest_evolution learning_curve
copy interest_evolution interest_trajectories
copy ecosystem provider_trajectories
copy bandits regret_over_time
copy open_bandit click_through_by_slot
copy open_bandit fitted_vs_real
copy reference choice_by_slot
copy latent estimates_vs_truth
copy soft rating_histogram
ls docs/plots
