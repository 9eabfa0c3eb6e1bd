"""RecSim NG's path for its eager runtime; see docs/migrating_from_recsim_ng.md."""
