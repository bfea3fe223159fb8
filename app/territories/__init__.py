"""Territories (API.md sections 3 and 4): seed steps 1-3.

- `router.py`, `service.py`, `repository.py`: territories, their extended team, strategic plans
  and who may change them (includes the other routers);
- `accounts_*.py`: accounts (`domains.py` normalises their unique domain), unit trees and the
  adoption history (`units_service.py`; `accounts_repository.change_adoption` for the
  opportunity flow);
- `analysis.py`, `analysis_repository.py`: the analysis and the diagram's data, each one SQL
  statement over leaf units; `diagram.py` draws the SVG;
- `activities_*.py`: engagement activities and their performance;
- `schemas.py`: every request and response shape; `demo.py`: the demo territory.
"""
