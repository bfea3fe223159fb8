"""Territories (API.md sections 3 and 14): seed steps 1-2.

- `router.py`, `service.py`, `repository.py`, `schemas.py`: territories, their extended team,
  strategic plans, transfers and who may change them;
- `analysis/`: the analysis and the diagram's data, each one SQL statement over leaf units,
  the stored reports, and the drawing.

Accounts with their units live in `app.accounts`, engagement activities in `app.activities`.
"""
