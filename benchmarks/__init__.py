"""Benchmarks of the service (`make bench`): not part of the shipped package."""
