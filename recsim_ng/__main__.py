"""`python -m recsim_ng`: the command-line runner."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # Keep TensorFlow's start-up chatter out.

from recsim_ng.cli.main import run  # pylint: disable=wrong-import-position

run()
