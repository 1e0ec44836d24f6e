"""Benchmarks of the weekly run and the warehouse: `make bench` writes bench/RESULTS.md."""
