"""Interest evolution: users drifting towards what they watch, and a REINFORCE recommender."""
