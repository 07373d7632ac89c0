"""Fixtures of the /dss/v1 tests (see f3548_helpers)."""

from .f3548_helpers import dss, rsa_key, token

__all__ = ["dss", "rsa_key", "token"]
