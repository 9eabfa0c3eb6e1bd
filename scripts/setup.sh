#!/usr/bin/env bash
# Creates .venv (Python 3.11) and installs recsim_ng with the pinned stack from constraints.txt,
# then the packages that ship the example logs (MovieLens 100K in recbole, the Open Bandit sample
# in obp) without their dependencies: only their data files are read.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt)
"${pip[@]}" -e ".[cpu,rl,gym,plots,data,notebooks,dev]"
"${pip[@]}" --no-deps recbole obp
