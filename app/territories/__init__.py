"""Territories: accounts, units, analysis and the territory diagram (API.md section 3)."""
