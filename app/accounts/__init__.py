"""Accounts (API.md section 3): the companies of a territory, unique by domain (`domains.py`
normalises it), their units as a tree, and the adoption history of every unit."""
