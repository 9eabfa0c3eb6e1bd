#!/usr/bin/env bash
# Sets up, then runs the main job: the reference simulation on configs/default.py.
# Extra arguments go to the runner, e.g. --config.num_users=10000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/python -m recsim_ng --config=configs/default.py "$@"
