"""Pipeline management: coverage summary, hygiene flags and the waterfall (API.md section 8)."""
