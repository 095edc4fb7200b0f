"""Named exceptions of the exports package (all are ``KizunaError``: the CLI exits 2)."""
from __future__ import annotations

from kizuna.catalog.errors import KizunaError


class ExportError(KizunaError):
    """An export that cannot be made as asked (unknown format, unsafe output folder, ...)."""


class ChannelError(ExportError):
    """A text that a delivery channel cannot carry (too long for SMS or LINE, not encodable in
    ISO-2022-JP); the message names town, message and locale."""
