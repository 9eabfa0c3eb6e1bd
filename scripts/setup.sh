#!/usr/bin/env bash
# Creates .venv (Python 3.11) and installs recsim_ng with the pinned stack from constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[cpu,rl,gym,plots,dev]"
