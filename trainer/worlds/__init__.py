"""Worlds: stored (spec, seed) pairs of the synthetic world, browsed by trainers."""
