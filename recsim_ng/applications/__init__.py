"""Concrete simulations built from the entity library and stories."""
