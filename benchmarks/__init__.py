"""Benchmarks (not tests): ``python -m benchmarks.retrieval`` and the ``benchmarks/bench_*.py`` scripts."""
