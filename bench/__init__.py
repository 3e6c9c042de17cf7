"""Benchmarks and their fixtures (not part of the installed package)."""
