"""Small validators for fields read from workspace files; each raises ``WorkspaceError`` naming
the file and the field, so every loader reports problems the same way."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Mapping

from kizuna.catalog.errors import StageError, WorkspaceError
from kizuna.catalog.limits import MAX_TEXT_CHARS, check_text_length, clip, shorten
from kizuna.catalog.stages import Stage
from kizuna.catalog.i18n import _

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
LOCALE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class Fields:
    """Reads typed fields out of one mapping of one file."""

    def __init__(self, data: Any, path: str | Path, prefix: str = "") -> None:
        if not isinstance(data, Mapping):
            raise WorkspaceError(_("expected a mapping of fields here"), path=path, field=prefix or None)
        self.data = data
        self.path = path
        self.prefix = prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def error(self, key: str, message: str) -> WorkspaceError:
        return WorkspaceError(message, path=self.path, field=self.name(key))

    def refuse_unknown(self, allowed: set[str]) -> None:
        unknown = sorted(clip(str(k), 60) for k in self.data if k not in allowed)
        if unknown:
            shown = unknown[:10] + ([_("and {count} more").format(count=len(unknown) - 10)] if len(unknown) > 10 else [])
            raise WorkspaceError(
                _("unknown field(s) {shown}; allowed: {allowed}").format(shown=', '.join(shown), allowed=', '.join(sorted(allowed))),
                path=self.path, field=self.prefix or None)

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def str(self, key: str, default: str | None = None, *, pattern: re.Pattern[str] | None = None,
            hint: str = "") -> str:
        if not self.has(key):
            if default is None:
                raise self.error(key, _("is required"))
            return default
        value = self.data[key]
        if not isinstance(value, str):
            raise self.error(key, _("must be text (in quotes if it looks like a number), not {value}").format(value=shorten(value)))
        too_long = check_text_length(value, limit=MAX_TEXT_CHARS)
        if too_long:
            raise self.error(key, too_long)
        if pattern is not None and not pattern.match(value):
            raise self.error(key, (_("{value} is not valid: {hint}").format(value=shorten(value), hint=_(hint)) if hint
                                  else _("{value} is not valid").format(value=shorten(value))))
        return value

    def text(self, key: str) -> str:
        value = self.str(key)
        if not value.strip():
            raise self.error(key, _("is empty"))
        return value

    def str_list(self, key: str, *, pattern: re.Pattern[str] | None = None, hint: str = "") -> list[str]:
        if not self.has(key):
            return []
        value = self.data[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, _("must be a list of text items, like [a, b]"))
        if pattern is not None:
            for v in value:
                if not pattern.match(v):
                    raise self.error(key, (_("{value} is not valid: {hint}").format(value=shorten(v), hint=_(hint)) if hint
                                          else _("{value} is not valid").format(value=shorten(v))))
        if len(set(value)) != len(value):
            raise self.error(key, _("lists the same item twice"))
        return list(value)

    def int_list(self, key: str, lo: int, hi: int) -> list[int]:
        if not self.has(key):
            return []
        value = self.data[key]
        if not isinstance(value, list) or not all(type(v) is int and lo <= v <= hi for v in value):
            raise self.error(key, _("must be a list of whole numbers from {lo} to {hi}").format(lo=lo, hi=hi))
        return list(value)

    def stage(self, key: str) -> Stage:
        raw = self.data.get(key)
        if raw is None:
            raise self.error(key, _("is required (a stage such as P12w3d or B2m)"))
        try:
            return Stage.parse(raw)
        except StageError as exc:
            raise self.error(key, exc.message) from None

    def mapping(self, key: str) -> Mapping[Any, Any]:
        if not self.has(key):
            return {}
        value = self.data[key]
        if not isinstance(value, Mapping):
            raise self.error(key, _("must be a mapping (key: value lines)"))
        return value

    def sub(self, key: str) -> "Fields":
        return Fields(self.mapping(key), self.path, self.name(key))
