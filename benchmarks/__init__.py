"""Benchmarks: `python -m benchmarks [NAME ...]` (or `make bench`) runs each bench_*.py module."""
