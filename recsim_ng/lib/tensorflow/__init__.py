"""RecSim NG's paths for its TensorFlow back end, as thin aliases of `recsim_ng.lib`.

`recsim_ng.lib.tensorflow.runtime`, `.log_probability`, `.field_spec` and `.entity` hold the
counterparts of RecSim NG's names; see docs/migrating_from_recsim_ng.md for what differs.
"""
