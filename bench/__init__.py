"""Benchmarks that print figures (run with ``make bench``); not pass/fail tests."""
