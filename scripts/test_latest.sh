#!/usr/bin/env bash
# Installs recsim_ng without its rl and gym extras on the newest TensorFlow and TFP releases, in
# .venv-latest, and runs the tests that need neither TF-Agents nor the data extra, so that a new
# release that breaks the core or the library shows up in CI. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3.11}
venv=.venv-latest
if [ ! -x "$venv/bin/python" ]; then
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check --only-binary=:all:)
# Unconstrained on purpose: the newest of each, numpy 2 included (the pinned stack has numpy 1).
"${pip[@]}" --upgrade --upgrade-strategy eager tensorflow-cpu tensorflow-probability
# TFP >= 0.24 imports tf_keras (Keras 2) on import. Its release for this TensorFlow minor version,
# without its dependencies: they name the `tensorflow` package, which would install TensorFlow
# a second time over tensorflow-cpu.
tf_version=$("$venv/bin/python" -c \
  'import importlib.metadata as m; print(m.version("tensorflow-cpu"))')
"${pip[@]}" --upgrade --no-deps "tf-keras~=${tf_version%.*}.0"
# The project and its test runner, the runner pinned as in the pinned stack.
"${pip[@]}" -c <(grep -E '^(pytest|pluggy|iniconfig|Pygments)==' constraints.txt) -e ".[dev]"
"$venv/bin/python" -c '
import importlib.metadata as m
print("newest stack:", ", ".join(f"{p} {m.version(p)}" for p in
      ("tensorflow-cpu", "tensorflow-probability", "tf-keras", "numpy")))'
exec "$venv/bin/python" -m pytest -q tests/core tests/lib tests/entities tests/stories \
  tests/examples tests/applications "$@"
