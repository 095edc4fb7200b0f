"""Findings: what a check reports, in one shape for every rule, view and output format.

A finding carries the rule id, level, message id, locale, town (when town-specific), position
(1-based line and column, and the 0-based character span in the checked text), a human message
and a suggestion where there is one (both in the language of the run, :mod:`kizuna.catalog.i18n`), the stage for town-level
findings (coverage), and — when the message carries an ignore for the rule — the written reason
(the finding is kept, shown, and not counted).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Literal

from kizuna.catalog import i18n

if TYPE_CHECKING:
    import pandas as pd

Level = Literal["error", "warning", "info"]
LEVELS: tuple[Level, ...] = ("error", "warning", "info")
LEVEL_RANK = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    rule: str
    level: Level
    message: str
    message_id: str | None = None
    locale: str | None = None
    town: str | None = None
    line: int | None = None
    column: int | None = None
    span: tuple[int, int] | None = None
    suggestion: str | None = None
    #: the written reason when the message ignores this rule (then it does not count)
    ignored_reason: str | None = None
    #: file the finding is about (workspace-relative path, or the linted file)
    path: str | None = None
    #: the stage a town-level finding is about (a coverage gap, a missing milestone)
    stage: str | None = None

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> "Finding":
        """A finding from its field values in order (what the checks cache stores): the same
        object the constructor makes, built without the frozen dataclass's per-field
        ``__setattr__`` (a national run makes 150,000 findings)."""
        obj = object.__new__(cls)
        obj.__dict__.update(zip(FIELDS, row))
        return obj

    @property
    def counts(self) -> bool:
        return self.ignored_reason is None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["span"] = list(self.span) if self.span else None
        return data


#: the field names of :class:`Finding`, in order
FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Finding))


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a 0-based character offset in ``text``."""
    before = text[:offset]
    line = before.count("\n") + 1
    column = offset - (before.rfind("\n") + 1) + 1
    return line, column


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path or "", f.message_id or "", f.locale or "",
                                           f.town or "", f.line or 0, f.column or 0,
                                           LEVEL_RANK[f.level], f.rule))


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.level == "error" and f.counts for f in findings)


#: The columns of :func:`findings_frame` and their pandas dtypes (``level`` is an ordered category).
FRAME_DTYPES: dict[str, str] = {
    "level": "category", "rule": "string", "message_id": "string", "locale": "string", "town": "string",
    "stage": "string", "line": "Int64", "column": "Int64", "message": "string", "suggestion": "string",
    "ignored_reason": "string", "path": "string",
}


def findings_frame(findings: Iterable[Finding]) -> "pd.DataFrame":
    """One row per finding, in typed columns (:data:`FRAME_DTYPES`) for notebooks: text columns
    are pandas ``string`` holding ``""`` where a value does not apply (a finding about a whole
    message has no town), ``line`` and ``column`` are nullable integers (``Int64``: 3, never
    3.0; missing where a finding has no position), ``level`` an ordered category (error <
    warning < info), so a frame sorts by severity and shows no ``NaN``."""
    import pandas as pd

    text = [name for name, dtype in FRAME_DTYPES.items() if dtype == "string"]
    rows = [{name: getattr(f, name) for name in FRAME_DTYPES} for f in findings]
    frame = pd.DataFrame(rows, columns=list(FRAME_DTYPES))
    frame[text] = frame[text].fillna("").astype("string")
    frame[["line", "column"]] = frame[["line", "column"]].astype("Int64")
    frame["level"] = pd.Categorical(frame["level"], categories=list(LEVELS), ordered=True)
    return frame


#: The language of the findings written into Japanese-first documents (notebook and workbook
#: note cells, review packets): they are read by writers, experts and town editors, whoever
#: generated them and in whatever locale (a CI job, a C-locale container).
DOCUMENT_LANGUAGE = "ja"


@contextmanager
def in_language(language: str = DOCUMENT_LANGUAGE) -> Iterator[None]:
    """Findings (and every other translated text) in ``language`` inside the block; the language
    chosen before comes back after it."""
    before = i18n._chosen  # noqa: SLF001 - the explicit choice (None: the environment's)
    i18n.set_language(language)
    try:
        yield
    finally:
        i18n.set_language(before)


def stage_label(stage: Any) -> str:
    """A stage as a finding names it: 生後1か月 in Japanese, the notation (B1m) otherwise."""
    return stage.label_ja if i18n.current_language() == "ja" else str(stage)


def language_key() -> tuple[str, int, int]:
    """What the text of findings depends on besides the code: the current language and the size
    and modification time of its compiled catalog (``kizuna.mo``), for caches of findings."""
    language = i18n.current_language()
    try:
        st = (i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo").stat()
    except OSError:
        return language, 0, 0
    return language, st.st_size, st.st_mtime_ns
