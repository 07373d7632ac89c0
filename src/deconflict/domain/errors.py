"""Domain errors. Each carries enough to tell a caller what is wrong and where."""

from __future__ import annotations

from collections.abc import Sequence

Loc = tuple[str | int, ...]


class DomainError(Exception):
    """Base of every error the domain and service layers raise on purpose."""


class InvalidInput(DomainError):
    """Input that cannot be accepted; `problems` lists (location, message) pairs."""

    def __init__(self, problems: Sequence[tuple[Loc, str]]) -> None:
        self.problems: list[tuple[Loc, str]] = list(problems)
        super().__init__(
            "; ".join(f"{'.'.join(map(str, loc)) or '<root>'}: {msg}" for loc, msg in self.problems)
        )

    @classmethod
    def at(cls, loc: Loc, message: str) -> InvalidInput:
        return cls([(loc, message)])

    def prefixed(self, prefix: Loc) -> InvalidInput:
        """The same problems, located under `prefix` (e.g. the index of a volume in a list)."""
        return InvalidInput([((*prefix, *loc), msg) for loc, msg in self.problems])


class NotFound(DomainError):
    """The object does not exist *for this caller* (need-to-know: never 'forbidden')."""


class Forbidden(DomainError):
    """The caller is known and may see the object, but its roles do not allow the action."""


class StateConflict(DomainError):
    """The request is well-formed but clashes with the current state of stored objects."""


class IncomparableAltitudes(DomainError):
    """Two altitude bands use references that cannot be converted into each other."""


class Unavailable(DomainError):
    """The store cannot take the work now (contention that outlasted the retries, or a
    resource running out): nothing was changed; the caller may retry after
    `retry_after_s`."""

    def __init__(self, message: str, retry_after_s: float = 1.0) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)


class Contended(Unavailable):
    """Unavailable because the data the work changes was changed by others each time it
    ran, as often as the retry budget allowed."""
