"""Whether the code being traced will be compiled by XLA, for ops whose best form differs."""

from __future__ import annotations

import tensorflow as tf
from tensorflow.python.framework import ops  # pylint: disable=g-direct-tensorflow-import
from tensorflow.python.ops import control_flow_util  # pylint: disable=g-direct-tensorflow-import


def compiling_with_xla() -> bool:
    """True while tracing a function (or a loop inside one) that XLA will compile."""
    return not tf.executing_eagerly() and control_flow_util.GraphOrParentsInXlaContext(
        ops.get_default_graph())
