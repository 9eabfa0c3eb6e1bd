"""Logs of real usage: one format (`event_log`), splits, trajectories, and example datasets."""
