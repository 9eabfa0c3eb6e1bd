"""Reusable behaviour: choice models, state models, recommendation and bandit entities."""
