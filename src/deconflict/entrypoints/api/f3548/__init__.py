"""The ASTM F3548-21 DSS API under /dss/v1: routes, shapes, converters, errors."""
