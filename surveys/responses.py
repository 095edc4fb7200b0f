"""Response import from what forms services export, and the local response store.

Input: a CSV (UTF-8 with or without a BOM, or Shift_JIS/cp932 as older Excel saves it) or an
XLSX (first sheet) with a header row: a timestamp column, one column per question titled with
its wording (mapped by :mod:`.columns`), multiple choices joined in one cell (``;`` as Microsoft
Forms does, ``, `` as Google Forms does, or ``、``), a 5-point answer as ``4`` or as its label,
and whatever other columns the service adds.

Every problem is collected and raised together as one :class:`ResponseImportError` naming the
file, the row (as a spreadsheet shows it: the header is row 1) and the column: unknown question
ids in a mapping file, answers outside the choices, a column mapped twice, identifier columns
(e-mail, phone, name, address) while the policy is ``refuse``, a malformed file. Nothing is
written then.

**Personal data.** Responses are personal data. The import keeps them *outside version
control*: the normalised table goes to ``.kizuna/surveys/responses/`` in the workspace (git
ignores ``.kizuna/``), or to a folder the user names that git ignores. What is stored is
pseudonymised: identifier columns and the forms service's own response ids are never stored;
each response gets a pseudonym (HMAC-SHA256 of town, submission time and the source id or row,
with a random key kept in ``.kizuna/surveys/key``), so re-importing a file replaces its rows
instead of doubling them, and a reviewer can tag a response without seeing who sent it.
Free-text answers are stored as written (readers may still write names into them: they stay
local, and quotes shown to reviewers are masked, see :mod:`.loop`).
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import os
import re
import secrets
import subprocess
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping, Sequence

import pandas as pd
from openpyxl import load_workbook

from kizuna.catalog import yamlio
from kizuna.catalog.errors import KizunaError, StageError
from kizuna.catalog.lock import LOCAL_DIR, workspace_lock
from kizuna.catalog.safepaths import write_target
from kizuna.catalog.stages import Stage
from kizuna.catalog.workspace import Workspace
from kizuna.surveys.columns import ColumnMap, map_columns, normalise
from kizuna.surveys.model import SYSTEM_FIELDS, Question, Questionnaire, Surveys, SurveyError
from kizuna.catalog.i18n import _

STORE_DIR = f"{LOCAL_DIR}/surveys/responses"
KEY_FILE = f"{LOCAL_DIR}/surveys/key"
META_COLUMNS = ("response", "town", "year", "submitted", "stage", "locale", "message")
MULTI_SEP = ";"
_SPLIT = re.compile(r"\s*[;；,，、\n]\s*")
_LEADING_SCORE = re.compile(r"^\s*([1-5])(?:\s*[-:：.．)）(（]?\s*(.*))?$")
MAX_REPORTED = 20
ANONYMOUS = {"", "anonymous", "匿名", "-", "なし"}


class ResponseImportError(KizunaError):
    """A response file that cannot be imported as it is; ``problems`` lists every place."""

    def __init__(self, problems: Sequence[str], *, path: str | Path) -> None:
        self.problems = list(problems)
        shown = self.problems[:MAX_REPORTED]
        more = _("\n  ... and {count} more").format(count=len(self.problems) - MAX_REPORTED) \
            if len(self.problems) > MAX_REPORTED else ""
        super().__init__(_("{count} problem(s); nothing was imported:\n  ").format(count=len(self.problems))
                         + "\n  ".join(shown) + more,
                         path=path)


@dataclass
class ImportResult:
    table: pd.DataFrame
    columns: ColumnMap
    dropped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    stored: Path | None = None


# reading ---------------------------------------------------------------------------------------
def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ResponseImportError([_("the file is neither UTF-8 nor Shift_JIS text; save it again as CSV UTF-8")],
                              path=path)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows (all cells as text) of a CSV or XLSX response file."""
    path = Path(path)
    if not path.is_file():
        raise ResponseImportError([_("no such file")], path=path)
    data = path.read_bytes()
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several kinds for a broken file
            raise ResponseImportError([_("not a readable XLSX workbook ({kind}: {exc})").format(kind=type(exc).__name__, exc=exc)], path=path) from None
        rows = [[_cell(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
    elif path.suffix.lower() in (".csv", ".txt"):
        text = _decode(data, path)
        if "\x00" in text:
            raise ResponseImportError([_("the file holds NUL characters; it is not a CSV text file")], path=path)
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error as exc:
            raise ResponseImportError([_("malformed CSV: {exc}").format(exc=exc)], path=path) from None
    else:
        raise ResponseImportError([_("'{suffix}' is not a response file type; export CSV or XLSX").format(suffix=path.suffix)], path=path)
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ResponseImportError([_("the file is empty (no header row)")], path=path)
    header, body = rows[0], rows[1:]
    width = len(header)
    problems = [_("row {n}: {count} cells, but the header has {width}").format(n=n, count=len(r), width=width) for n, r in enumerate(body, start=2)
                if len(r) > width and any(c.strip() for c in r[width:])]
    if problems:
        raise ResponseImportError(problems, path=path)
    return header, [(r + [""] * width)[:width] for r in body]


def read_mapping(path: Path) -> dict[str, str]:
    """A mapping file: YAML ``column header: question-id``."""
    data = yamlio.read(Path(path))
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise SurveyError(_("a mapping file is YAML lines of 'column header: question-id'"), path=path)
    return data


# parsing one column -----------------------------------------------------------------------------
def _labels(question: Question) -> dict[str, str]:
    out = {normalise(c.id): c.id for c in question.choices}
    for c in question.choices:
        out.update({normalise(t): c.id for t in c.text.values()})
    return out


def parse_choice(value: str, question: Question, labels: Mapping[str, str]) -> str:
    found = labels.get(normalise(value))
    if found is None:
        raise ValueError(_("'{value}' is not one of the choices ({choices})").format(
            value=value, choices=', '.join(c.id for c in question.choices)))
    return found


def _choice_patterns(question: Question) -> list[tuple[re.Pattern[str], str]]:
    """Each label (and id) of each choice as a pattern between separators, longest first."""
    texts = sorted(((unicodedata.normalize("NFKC", t), c.id) for c in question.choices
                    for t in (*c.text.values(), c.id)), key=lambda tc: -len(tc[0]))
    return [(re.compile(r"(?:^|(?<=[;；,，、\n]))\s*" + re.escape(text) + r"\s*(?=$|[;；,，、\n])", re.IGNORECASE),
             cid) for text, cid in texts]


def parse_multiple(value: str, question: Question,
                   patterns: list[tuple[re.Pattern[str], str]] | None = None) -> str:
    """Choice ids (``;``-joined, in the question's order) of a cell holding several labels.
    Labels are found longest first, so a label containing a separator is still one choice."""
    rest = unicodedata.normalize("NFKC", value)
    picked: set[str] = set()
    for pattern, cid in patterns if patterns is not None else _choice_patterns(question):
        if pattern.search(rest):
            picked.add(cid)
            rest = pattern.sub("", rest)
    leftover = [t for t in _SPLIT.split(rest) if t.strip()]
    if leftover:
        raise ValueError(_("'{value}' is not one of the choices ({choices})").format(
            value=leftover[0], choices=', '.join(c.id for c in question.choices)))
    return MULTI_SEP.join(c.id for c in question.choices if c.id in picked)


def parse_scale(value: str, question: Question) -> int:
    m = _LEADING_SCORE.match(unicodedata.normalize("NFKC", value))
    if m:
        return int(m.group(1))
    for labels in [question.scale_labels(loc) for loc in ("ja", "ja-easy", "en", *question.labels)]:
        norm = [normalise(label) for label in labels]
        if normalise(value) in norm:
            return norm.index(normalise(value)) + 1
    raise ValueError(_("'{value}' is not an answer on the 1–5 scale").format(value=value))


def parse_column(values: pd.Series, question: Question) -> tuple[pd.Series, dict[str, str]]:
    """Parse a question's column; returns the parsed values and {raw value: problem} for bad ones.
    Each distinct value is parsed once (forms services repeat the same labels)."""
    labels = _labels(question) if question.type in ("single", "screening") else {}
    patterns = _choice_patterns(question) if question.type == "multiple" else None
    parsed: dict[str, Any] = {"": None}
    bad: dict[str, str] = {}
    for raw in values.unique():
        value = raw.strip()
        if raw in parsed or not value:
            parsed.setdefault(raw, None)
            continue
        try:
            if question.type == "text":
                parsed[raw] = value
            elif question.type == "multiple":
                parsed[raw] = parse_multiple(value, question, patterns) or None
            elif question.type == "scale5":
                parsed[raw] = parse_scale(value, question)
            else:
                parsed[raw] = parse_choice(value, question, labels)
        except ValueError as exc:
            bad[raw] = str(exc)
    return values.map(parsed), bad


# the import -------------------------------------------------------------------------------------
def fiscal_year(moment: pd.Series) -> pd.Series:
    """年度: April to March (a response of 2026-03-31 belongs to 2025年度)."""
    return (moment.dt.year - (moment.dt.month < 4).astype(int)).astype("Int64")


#: what forms services write (Google Forms ja/en, Microsoft Forms, ISO); tried before a slow general parse
TIMESTAMP_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d %H:%M",
                     "%m/%d/%Y %H:%M:%S", "%m/%d/%y %H:%M:%S", "%m/%d/%Y %H:%M")


def parse_timestamps(raw: pd.Series) -> pd.Series:
    """Submission times; what no known format reads is parsed generally (year first); ``NaT``
    where nothing can read it."""
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    todo = raw != ""
    for fmt in TIMESTAMP_FORMATS:
        if not todo.any():
            break
        parsed = pd.to_datetime(raw[todo], format=fmt, errors="coerce")
        out[parsed.index[parsed.notna()]] = parsed[parsed.notna()]
        todo &= out.isna()
    if todo.any():
        out[todo] = pd.to_datetime(raw[todo], format="mixed", errors="coerce", yearfirst=True)
    return out


def _where(n: int, column: str) -> str:
    return _("row {n}, column '{column}'").format(n=n, column=column)


def _system(frame: pd.DataFrame, cmap: ColumnMap, ws: Workspace, surveys: Surveys, *, town: str | None,
            locale: str | None, stage: str | None, problems: list[str]) -> pd.DataFrame:
    cols = cmap.by_target()
    out = pd.DataFrame(index=frame.index)

    def column(field: str, default: str | None) -> pd.Series:
        if field in cols:
            values = frame[cols[field].index].str.strip()
            return values.where(values != "", default or "")
        return pd.Series(default or "", index=frame.index)

    towns = column("kz-town", town)
    for value in towns.unique():
        if value not in ws.towns:
            rows = towns.index[towns == value][:3] + 2
            what = f"town '{value}' has no file in towns/" if value else "no town: give --town CODE or a kz-town column"
            problems += [_("{where}: {what}").format(where=_where(n, cols['kz-town'].header if 'kz-town' in cols else 'kz-town'), what=what)
                         for n in rows]
    stages = column("kz-stage", stage)
    canonical: dict[str, str] = {"": ""}
    for value in stages.unique():
        if value in canonical:
            continue
        try:
            canonical[value] = str(Stage.parse(value))
        except StageError as exc:
            n = int(stages.index[stages == value][0]) + 2
            problems.append(_("{where}: {message}").format(where=_where(n, cols['kz-stage'].header), message=exc.message))
    locales = column("kz-locale", locale or surveys.source_locale)
    for value in locales.unique():
        if value not in surveys.locales:
            n = int(locales.index[locales == value][0]) + 2
            problems.append(_("{where}: locale '{value}' is not one of "
                            "{locales}").format(where=_where(n, cols['kz-locale'].header), value=value, locales=', '.join(surveys.locales)))
    messages = column("kz-message", None)
    for value in messages.unique():
        if value:
            try:
                ws.message(value)
            except KizunaError:
                n = int(messages.index[messages == value][0]) + 2
                problems.append(_("{where}: no message '{value}' in this workspace").format(where=_where(n, cols['kz-message'].header), value=value))
    out["town"], out["stage"], out["locale"], out["message"] = towns, stages.map(canonical), locales, messages
    return out


def _save_key(root: Path, key: bytes) -> None:
    """Keep the pseudonym key in ``.kizuna/surveys/key`` (mode 0600, never overwritten)."""
    target = write_target(root, Path(root) / KEY_FILE)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)


def pseudonyms(key: bytes, towns: pd.Series, stamps: pd.Series, sources: pd.Series) -> list[str]:
    """HMAC-SHA256 of town, submission time and source id (or row content); 16 hex digits."""
    base = hmac.new(key, digestmod=hashlib.sha256)
    out = []
    for t, s, r in zip(towns.tolist(), stamps.tolist(), sources.tolist()):
        h = base.copy()
        h.update(f"{t}|{s}|{r}".encode())
        out.append(h.hexdigest()[:16])
    return out


def parse_responses(path: Path, ws: Workspace, surveys: Surveys, *, town: str | None = None,
                    locale: str | None = None, stage: str | None = None,
                    mapping: Mapping[str, str] | None = None, key: bytes = b"") -> ImportResult:
    """Read, map and validate a response file; raises :class:`ResponseImportError` listing every
    problem. Pure apart from reading ``path``."""
    header, rows = read_table(path)
    if town is not None:
        q = surveys.questionnaire(town if town in surveys.towns else None)
    else:  # a file from a national form may hold several towns: every town's questions are known
        q = surveys.questionnaire(None)
        extra = tuple(qq for s in surveys.towns.values() for qq in s.questions)
        q = Questionnaire(q.id, None, q.questions + extra, q.title, q.intro, q.invitations, None, q.locales)
    cmap = map_columns(header, q, mapping)
    problems = [_("mapping: column '{h}' is mapped to '{qid}', which is no question id of this questionnaire "
                "({ids})").format(h=h, qid=qid, ids=', '.join(q.ids)) for h, qid in cmap.unknown_ids]
    problems += [_("columns '{header}' (column {value}) and '{header2}' (column {value2}) are both "
                 "mapped to question '{target}'; remove one or map it explicitly").format(header=a.header, value=a.index + 1, header2=b.header, value2=b.index + 1, target=a.target) for a, b in cmap.twice]
    policy = surveys.settings.identifiers
    frame = pd.DataFrame(rows, dtype=object).fillna("")
    frame.columns = range(len(header))
    dropped = []
    for c in cmap.identifiers:
        values = frame[c.index].str.strip().str.casefold()
        if values.isin(ANONYMOUS).all():
            dropped.append(f"{c.header} (empty or anonymous)")
        elif policy == "drop":
            dropped.append(f"{c.header} (personal identifier, dropped by policy)")
        else:
            n = int(values.index[~values.isin(ANONYMOUS)][0]) + 2
            problems.append(_("{where}: column {value} holds personal identifiers (e-mail, phone, "
                            "name or address); remove it before importing, or set settings.identifiers: drop in "
                            "surveys/core.yaml").format(where=_where(n, c.header), value=c.index + 1))
    stamp_col = cmap.timestamp()
    if stamp_col is None:
        problems.append(_("no timestamp column (one of タイムスタンプ, Timestamp, 完了時刻, ...); columns: {header}").format(header=', '.join(header)))
        stamps = pd.Series(pd.NaT, index=frame.index)
    else:
        raw = frame[stamp_col.index].str.strip()
        stamps = parse_timestamps(raw)
        for n in list(raw.index[stamps.isna()][:MAX_REPORTED] + 2):
            problems.append(_("{where}: '{raw}' is not a date and time").format(where=_where(n, stamp_col.header), raw=raw[n - 2]))
    meta = _system(frame, cmap, ws, surveys, town=town, locale=locale, stage=stage, problems=problems)
    answers: dict[str, pd.Series] = {}
    for qid, col in cmap.by_target().items():
        if qid in SYSTEM_FIELDS:
            continue
        question = q.question(qid)
        assert question is not None
        parsed, bad = parse_column(frame[col.index], question)
        for raw_value, why in bad.items():
            for n in list(frame.index[frame[col.index] == raw_value][:3] + 2):
                problems.append(_("{where}: {why}").format(where=_where(n, col.header), why=why))
        if question.town is not None:
            other = parsed.notna() & (meta["town"] != question.town)
            for n in list(frame.index[other][:3] + 2):
                problems.append(_("{where}: '{qid}' is a question of town {town} only").format(where=_where(n, col.header), qid=qid, town=question.town))
        answers[qid] = parsed
    if problems:
        raise ResponseImportError(problems, path=path)
    source = cmap.source_id()
    sources = frame[source.index] if source else pd.Series(["|".join(r) for r in rows], index=frame.index)
    table = pd.DataFrame({"response": pseudonyms(key, meta["town"], stamps.astype(str), sources)}, index=frame.index)
    table["town"] = meta["town"]
    table["year"] = fiscal_year(stamps)
    table["submitted"] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S")
    for name in ("stage", "locale", "message"):
        table[name] = meta[name]
    if any(c.how == "synthetic" for c in cmap.columns):
        table["synthetic"] = True
    for qid in q.ids:
        if qid in answers:
            table[qid] = answers[qid]
    missing = [qq.id for qq in q.questions if qq.town is None and qq.id not in answers]
    return ImportResult(table.reset_index(drop=True), cmap, dropped, missing)


# the store --------------------------------------------------------------------------------------
def private_target(root: Path, path: Path, *, probe: str | None = None) -> Path:
    """``path`` checked for writing personal data: inside the workspace, no symlink, and either
    under ``.kizuna/`` or ignored by git (``probe``: a file name to ask git about inside a folder)."""
    target = write_target(root, path)
    if (Path(root).resolve() / LOCAL_DIR) in (target, *target.parents):
        return target
    try:
        asked = target / probe if probe else target
        ignored = subprocess.run(["git", "check-ignore", "-q", str(asked)], cwd=root,
                                 capture_output=True).returncode == 0
    except OSError:
        ignored = False
    if not ignored:
        raise SurveyError(_("responses are personal data and must stay out of version control: name a place "
                          "that .gitignore ignores, or one under .kizuna/"), path=path)
    return target


def store_dir(root: Path, given: Path | None = None) -> Path:
    """Where responses are stored: ``.kizuna/surveys/responses`` or ``given`` (inside the workspace
    and ignored by git, so responses never enter version control)."""
    if given is None:
        return write_target(root, Path(root) / STORE_DIR)
    return private_target(root, given, probe="x.csv")


def store_name(result: ImportResult, source: Path) -> str:
    """``<town>-<digest>.csv``: one file per imported source file (a re-import replaces it)."""
    towns = sorted(set(result.table["town"]))
    label = towns[0] if len(towns) == 1 else f"{len(towns)}towns"
    digest = hashlib.sha256(Path(source).read_bytes()).hexdigest()[:12]
    return f"{label}-{digest}.csv"


def import_responses(ws: Workspace, surveys: Surveys, path: Path, *, town: str | None = None,
                     locale: str | None = None, stage: str | None = None, mapping: Mapping[str, str] | None = None,
                     store: Path | None = None, dry_run: bool = False) -> ImportResult:
    """Validate ``path`` and store its responses (see the module docstring)."""
    with workspace_lock(ws.root, "kizuna survey import"):
        folder = store_dir(ws.root, store)
        key_path = ws.root / KEY_FILE
        key = key_path.read_bytes() if key_path.is_file() else secrets.token_bytes(32)
        result = parse_responses(path, ws, surveys, town=town, locale=locale, stage=stage, mapping=mapping, key=key)
        if dry_run:
            return result
        if not key_path.is_file():  # the first import keeps its key, once the file proved good
            _save_key(ws.root, key)
        target = write_target(ws.root, folder / store_name(result, path))
        target.parent.mkdir(parents=True, exist_ok=True)
        buf = io.StringIO()
        result.table.to_csv(buf, index=False, lineterminator="\n")
        yamlio.write_atomic(target, buf.getvalue())
        result.stored = target
        return result


def load_responses(root: Path, store: Path | None = None) -> pd.DataFrame:
    """Every stored response (one row each; a response stored twice is kept once)."""
    folder = Path(root) / STORE_DIR if store is None else Path(store)
    if not folder.is_absolute():
        folder = Path(root) / folder
    files = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    if not files:
        return pd.DataFrame(columns=list(META_COLUMNS))
    frames = [pd.read_csv(f, dtype={"town": str, "stage": str, "locale": str, "message": str, "response": str},
                          keep_default_na=False, na_values=[""]) for f in files]
    table = pd.concat(frames, ignore_index=True).drop_duplicates("response", keep="last")
    table["year"] = table["year"].astype("Int64")
    for name in ("stage", "locale", "message"):
        table[name] = table[name].fillna("")
    return table.reset_index(drop=True)
