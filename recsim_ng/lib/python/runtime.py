"""RecSim NG's path for `PythonRuntime`, which here runs the TensorFlow program eagerly; see
docs/migrating_from_recsim_ng.md."""

from recsim_ng.lib.runtime import PythonRuntime

__all__ = ["PythonRuntime"]
