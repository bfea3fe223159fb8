"""The territory analysis and diagram (seed steps 1-2): `repository.py` aggregates them in
PostgreSQL and keeps the stored reports, `service.py` serves stored or fresh ones, `diagram.py`
draws the SVG."""
