"""Which column of a forms service's response file answers which question.

Forms services title each column with the question's wording as the form showed it — possibly
edited by the town, numbered (``1. ``, ``問1``, ``Q1``), in another locale — and add their own
columns (a timestamp, Microsoft Forms' ``ID``, ``開始時刻``, ``メール``, ``名前``). A column is
mapped, in this order:

1. by an explicit mapping file (``header: question-id``, YAML), when given;
2. by id: the header is the question id, or contains it in brackets (``[helpful]``);
3. by text: the header equals a wording of the question in any locale after normalisation
   (Unicode NFKC, case, spaces, punctuation and a leading number removed);
4. fuzzy, only when it is safe: the best wording similarity is at least :data:`FUZZY_MIN`, the
   next best *other* question scores at least :data:`FUZZY_MARGIN` lower, and no other column
   is closer to that question.

Known forms-service columns are recognised (timestamps, response ids); e-mail, phone, name and
address columns are *identifiers*, handled by the import policy. Whatever is left is reported
as unmapped and ignored. A column titled ``synthetic`` (合成データ) marks generated sample data. Two columns mapped to one question is an error.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from kizuna.surveys.model import SYSTEM_FIELDS, SYSTEM_LABELS, Questionnaire

FUZZY_MIN = 0.8
FUZZY_MARGIN = 0.1
#: column titles forms services give the submission time (preferred first)
TIMESTAMP_HEADERS = ("タイムスタンプ", "timestamp", "完了時刻", "completion time", "送信日時", "回答日時",
                     "submitted at", "開始時刻", "start time")
#: response serial numbers (Microsoft Forms ``ID``): used for the pseudonym, never stored
SOURCE_ID_HEADERS = ("id", "回答id", "response id", "responseid")
IDENTIFIER_WORDS = ("email", "e-mail", "mail", "メール", "メールアドレス", "phone", "tel", "電話", "携帯",
                    "name", "名前", "氏名", "お名前", "住所", "address", "line id", "lineid")
_NUMBERING = re.compile(r"^(?:問|q|質問|設問|no\.?)?\s*[0-9０-９]+\s*[.．:：)）、-]?\s*|^[(（][0-9]+[)）]\s*",
                        re.IGNORECASE)
_BRACKET_ID = re.compile(r"[\[［]([a-z0-9][a-z0-9-]{0,79})[\]］]")


def normalise(text: str) -> str:
    """NFKC, lower case, leading numbering, spaces and punctuation removed."""
    text = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    text = _NUMBERING.sub("", text, count=1)
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PSZ"))


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    #: question id, system field, or ``None``
    target: str | None
    #: mapping, id, text, fuzzy, system, timestamp, source-id, synthetic, identifier, unmapped
    how: str
    score: float = 1.0


@dataclass
class ColumnMap:
    columns: list[Column] = field(default_factory=list)
    #: (header, other header, question id) pairs mapped to the same question
    twice: list[tuple[Column, Column]] = field(default_factory=list)
    unknown_ids: list[tuple[str, str]] = field(default_factory=list)

    def by_target(self) -> dict[str, Column]:
        return {c.target: c for c in self.columns if c.target and c.how not in ("timestamp", "source-id")}

    @property
    def unmapped(self) -> list[Column]:
        return [c for c in self.columns if c.how == "unmapped"]

    @property
    def identifiers(self) -> list[Column]:
        return [c for c in self.columns if c.how == "identifier"]

    def timestamp(self) -> Column | None:
        found = [c for c in self.columns if c.how == "timestamp"]
        for name in TIMESTAMP_HEADERS:
            for c in found:
                if normalise(c.header) == normalise(name):
                    return c
        return found[0] if found else None

    def source_id(self) -> Column | None:
        return next((c for c in self.columns if c.how == "source-id"), None)


def _is_identifier(norm: str) -> bool:
    return len(norm) <= 14 and any(normalise(w) in norm for w in IDENTIFIER_WORDS)


def map_columns(headers: Sequence[str], q: Questionnaire, mapping: Mapping[str, str] | None = None) -> ColumnMap:
    """Map each header to a question id, a system field or a known kind (see the module docstring)."""
    mapping = mapping or {}
    ids = set(q.ids)
    wordings: dict[str, list[str]] = {qq.id: [normalise(t) for t in qq.text.values()] + [normalise(qq.id)]
                                      for qq in q.questions}
    exact = {w: qid for qid, ws in wordings.items() for w in ws}
    system = {normalise(f): f for f in SYSTEM_FIELDS} | {normalise(v): k for k, v in SYSTEM_LABELS.items()}
    stamps = {normalise(h) for h in TIMESTAMP_HEADERS}
    result = ColumnMap()
    pending: list[tuple[int, str, str]] = []
    for i, raw in enumerate(headers):
        header = "" if raw is None else str(raw).strip()
        norm = normalise(header)
        if header in mapping:
            target = str(mapping[header])
            if target not in ids and target not in SYSTEM_FIELDS:
                result.unknown_ids.append((header, target))
                continue
            result.columns.append(Column(i, header, target, "mapping"))
        elif header in ids:
            result.columns.append(Column(i, header, header, "id"))
        elif (m := _BRACKET_ID.search(header)) and m.group(1) in ids:
            result.columns.append(Column(i, header, m.group(1), "id"))
        elif norm in system:
            result.columns.append(Column(i, header, system[norm], "system"))
        elif norm in exact:
            result.columns.append(Column(i, header, exact[norm], "text"))
        elif norm in stamps:
            result.columns.append(Column(i, header, None, "timestamp"))
        elif norm in {normalise(h) for h in SOURCE_ID_HEADERS}:
            result.columns.append(Column(i, header, None, "source-id"))
        elif "synthetic" in norm or "合成データ" in norm:
            result.columns.append(Column(i, header, None, "synthetic"))
        elif _is_identifier(norm):
            result.columns.append(Column(i, header, None, "identifier"))
        else:
            pending.append((i, header, norm))
    taken = {c.target for c in result.columns if c.target}
    scores: list[tuple[int, str, str, str, float]] = []
    for i, header, norm in pending:
        best: dict[str, float] = {}
        for qid, ws in wordings.items():
            if qid in taken or not norm:
                continue
            best[qid] = max(difflib.SequenceMatcher(None, norm, w, autojunk=False).ratio() for w in ws)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        if ranked and ranked[0][1] >= FUZZY_MIN and (len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= FUZZY_MARGIN):
            scores.append((i, header, norm, ranked[0][0], ranked[0][1]))
        else:
            result.columns.append(Column(i, header, None, "unmapped", ranked[0][1] if ranked else 0.0))
    for i, header, _, qid, score in scores:
        rivals = [s for s in scores if s[3] == qid and s[0] != i]
        if any(r[4] >= score for r in rivals):
            result.columns.append(Column(i, header, None, "unmapped", score))
        else:
            result.columns.append(Column(i, header, qid, "fuzzy", score))
    result.columns.sort(key=lambda c: c.index)
    seen: dict[str, Column] = {}
    for c in result.columns:
        if c.target is None:
            continue
        if c.target in seen:
            result.twice.append((seen[c.target], c))
        else:
            seen[c.target] = c
    return result
