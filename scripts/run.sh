#!/usr/bin/env bash
# Sets up, then runs the main job on configs/default.py: simulate the untrained policy against
# random, train it, evaluate it, with plots in runs/default/plots. Extra arguments go to every
# mode, e.g. --config.environment_steps=1000 --quiet. Rerunning resumes the stored run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
for mode in simulate train evaluate; do
  .venv/bin/python -m recsim_ng "$mode" --config=configs/default.py "$@"
done
