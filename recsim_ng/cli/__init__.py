"""The absl command-line runner."""
