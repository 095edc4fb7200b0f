"""One entry point for imports: a notebook (``.ipynb``) or a workbook (``.xlsx``) by suffix."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from catalog.errors import KizunaError
from catalog.workspace import Workspace
from authoring.merge import ImportReport

SUFFIXES = (".ipynb", ".xlsx")


def import_file(ws: Workspace, path: Path, *, now: datetime | None = None) -> ImportReport:
    """Check ``path`` completely (nothing is applied from a broken file), then merge it."""
    path = Path(path)
    if not path.is_file():
        raise KizunaError("file not found", path=path)
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        from authoring.notebooks import import_notebook  # noqa: PLC0415

        return import_notebook(ws, path, now=now)
    if suffix == ".xlsx":
        from authoring.workbooks import import_workbook  # noqa: PLC0415

        return import_workbook(ws, path, now=now)
    raise KizunaError(f"cannot import a '{suffix}' file; kizuna imports {' and '.join(SUFFIXES)}", path=path)
