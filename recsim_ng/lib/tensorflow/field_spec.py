"""RecSim NG's path for the TensorFlow field specs; see docs/migrating_from_recsim_ng.md.

RecSim NG's `Space(gym_space)` spec is `FieldSpec(shape, dtype, space=box(low, high))` here
(`recsim_ng.lib.space`), and the space is checked when logged data are loaded.
"""

from recsim_ng.lib.field_spec import DynamicFieldSpec, FieldSpec

__all__ = ["DynamicFieldSpec", "FieldSpec"]
