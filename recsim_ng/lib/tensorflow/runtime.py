"""RecSim NG's path for the TensorFlow runtimes; see docs/migrating_from_recsim_ng.md.

RecSim NG's `TFRuntime(network, graph_compile=True)` is `TFRuntime(network)` here (always one
compiled program; `jit_compile=True` adds XLA), and `graph_compile=False` is
`PythonRuntime(network)`. `execute` and `trajectory` take an explicit seed.
"""

from recsim_ng.core.network import NetworkValue
from recsim_ng.lib.runtime import PythonRuntime, TFRuntime, Trajectory

NetworkValueTrajectory = NetworkValue  # Every leaf with a leading time axis.

__all__ = ["NetworkValue", "NetworkValueTrajectory", "PythonRuntime", "TFRuntime", "Trajectory"]
