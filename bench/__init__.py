"""Engage's benchmark harness (issue 7): a COPY data loader, a ceiling app and wrk scenarios.

Not part of the test run: `python -m bench --help`.
"""
