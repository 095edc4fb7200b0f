"""The project's one base exception and its family.

Every error kizuna raises on purpose is a :class:`KizunaError`. It names *where* the problem is
(file, sheet, row or cell, field) and says what to do, so the CLI can print it as-is and exit 2.
"""
from __future__ import annotations

from pathlib import Path


class KizunaError(Exception):
    """Base of every deliberate kizuna error; ``str()`` is a message a town editor can act on."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        field: str | None = None,
        location: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.field = field
        self.location = location
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = [p for p in (self.path, self.location, self.field) if p]
        return f"{': '.join(where)}: {self.message}" if where else self.message


class StageError(KizunaError, ValueError):
    """A stage notation or stage arithmetic that cannot be understood."""


class WorkspaceError(KizunaError):
    """A workspace file that is missing, malformed or inconsistent."""


class TownError(KizunaError):
    """A municipality code or town profile that is not valid."""


class TemplateError(KizunaError):
    """A message or town block whose template cannot be rendered."""
