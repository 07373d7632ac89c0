"""Route modules, one per resource family; each is a thin call into a service."""
