"""Forecasting: fiscal calendar, submission rules and roll-up arithmetic (API.md section 8)."""
