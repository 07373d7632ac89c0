"""Benchmarks: run only when named (`.venv/bin/pytest bench --benchmark-only`)."""
