"""Free-text themes: which answers speak of sleep, feeding, mood, length of the messages, ...

Themes are data (``surveys/data/themes.yaml``, dated, reviewed with the experts): an id, a
Japanese label, keywords (an answer containing any of them, after NFKC normalisation, is about
the theme) and the message topics the theme points to (used to link answers to messages).
Counting is plain substring matching, which is transparent to the people who read the report
and fast on a hundred thousand answers; it does not read meaning (a negated mention counts).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Sequence

import pandas as pd
import yaml


@dataclass(frozen=True)
class Theme:
    id: str
    label: str
    keywords: tuple[str, ...]
    topics: tuple[str, ...] = ()

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("|".join(re.escape(unicodedata.normalize("NFKC", k)) for k in self.keywords))


@lru_cache(maxsize=1)
def themes() -> tuple[Theme, ...]:
    text = resources.files("kizuna.surveys").joinpath("data/themes.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return tuple(Theme(t["id"], t["label"], tuple(t["keywords"]), tuple(t.get("topics") or ()))
                 for t in data["themes"])


def theme_matrix(texts: pd.Series, catalog: Sequence[Theme] | None = None) -> pd.DataFrame:
    """One boolean column per theme, one row per text (missing text: no theme)."""
    catalog = themes() if catalog is None else catalog
    norm = texts.fillna("").astype(str).map(lambda t: unicodedata.normalize("NFKC", t))
    return pd.DataFrame({t.id: norm.str.contains(t.pattern, regex=True) for t in catalog}, index=texts.index)


def response_themes(table: pd.DataFrame, text_ids: Sequence[str]) -> pd.DataFrame:
    """Themes per response over all its free-text answers (boolean frame, index as ``table``)."""
    present = [q for q in text_ids if q in table]
    if not present:
        return pd.DataFrame(index=table.index, columns=[t.id for t in themes()], dtype=bool).fillna(False)
    joined = table[present[0]].fillna("").astype(str)
    for qid in present[1:]:
        joined = joined + "\n" + table[qid].fillna("").astype(str)
    return theme_matrix(joined)


def theme_counts(table: pd.DataFrame, text_ids: Sequence[str], *, min_cell: int = 5) -> pd.DataFrame:
    """Responses mentioning each theme: ``theme, label, count, suppressed`` (under ``min_cell``
    the count is hidden), most mentioned first."""
    matrix = response_themes(table, text_ids)
    labels = {t.id: t.label for t in themes()}
    frame = pd.DataFrame({"theme": list(matrix.columns), "label": [labels[c] for c in matrix.columns],
                          "count": [int(matrix[c].sum()) for c in matrix.columns]})
    frame = frame.sort_values(["count", "theme"], ascending=[False, True]).reset_index(drop=True)
    frame["suppressed"] = frame["count"] < min_cell
    frame["count"] = frame["count"].astype(float).mask(frame["suppressed"])
    return frame
