#!/usr/bin/env bash
# GPU throughput of interest evolution at 1e4 to 1e7 users, XLA on and off, in one command:
# installs the `gpu` extra (tensorflow[and-cuda] 2.15.1) into .venv-gpu, then runs
# benchmarks/gpu_throughput.py, which prints one JSON line per case (user-steps/s and peak device
# memory). Extra arguments go to it, e.g. --users 10000 100000.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
if [ ! -x .venv-gpu/bin/python ]; then
  "$python" -m venv .venv-gpu
fi
.venv-gpu/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[gpu]"
exec .venv-gpu/bin/python benchmarks/gpu_throughput.py "$@"
