"""Engagement activities (API.md section 4, seed step 3) and their performance."""
