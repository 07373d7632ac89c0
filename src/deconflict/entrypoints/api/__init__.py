"""The HTTP API (FastAPI): native /v1 routes with pydantic schemas at the edge."""
