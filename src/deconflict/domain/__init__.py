"""The pure core: volumes, zones, operations, conflict detection and policy.

Imports only the standard library, Shapely and itself (enforced by import-linter).
"""
