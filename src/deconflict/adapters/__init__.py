"""Adapters: storage (SQLAlchemy), projections (pyproj), cells (h3), tokens (PyJWT)."""
