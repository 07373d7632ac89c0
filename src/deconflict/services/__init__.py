"""Use cases. Each takes a `UnitOfWork` and a `ServiceContext`; none imports adapters."""
