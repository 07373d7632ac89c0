"""Fixtures of the /dss/v1 tests (see f3548_helpers)."""

from .f3548_helpers import dss, native, rsa_key, token

__all__ = ["dss", "native", "rsa_key", "token"]
