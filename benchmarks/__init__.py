"""Benchmarks of a minitorch_bp training step against its floor and its peers.

Run ``python -m benchmarks --help``. Nothing here is imported by the package or the tests
except the smoke test, which runs the suite on a tiny budget.
"""
