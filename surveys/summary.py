"""Summaries of stored responses as pandas DataFrames, with small-cell suppression, and plots.

Every function takes the response table of :func:`kizuna.surveys.responses.load_responses`
(one row per response: ``response, town, year, submitted, stage, locale, message`` and one
column per question id) and groups it by any of ``town``, ``year``, ``stage``, ``locale``
(``by=()`` is the national pool).

**Suppression.** A group with fewer than ``min_cell`` answers to a question (5 unless
``settings.min_cell`` says otherwise) is never shown: its figures are ``NaN`` and
``suppressed`` is ``True``; the group's row stays so a reader sees that something was hidden.
The count of respondents per group is suppressed the same way. (Differences between a town and
the pool could in principle reveal a hidden group; the town report shows the pool only when the
pool minus the town is itself at least ``min_cell``.)
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from kizuna.surveys.model import Question, Surveys

GROUPS = ("town", "year", "stage", "locale")


def _check_by(by: Sequence[str]) -> list[str]:
    bad = [b for b in by if b not in GROUPS]
    if bad:
        raise ValueError(f"cannot group by {bad[0]}; use {', '.join(GROUPS)}")
    return list(by)


def suppress(frame: pd.DataFrame, n_column: str, min_cell: int, value_columns: Sequence[str]) -> pd.DataFrame:
    """Hide ``value_columns`` (and ``n_column``) of rows whose ``n_column`` is under ``min_cell``."""
    out = frame.copy()
    hidden = out[n_column] < min_cell
    out["suppressed"] = hidden
    for col in [*value_columns, n_column]:
        kind = "Int64" if col in (n_column, "count") else "Float64"
        out[col] = out[col].astype(kind).mask(hidden)
    return out


def respondents(table: pd.DataFrame, by: Sequence[str] = (), *, min_cell: int = 5) -> pd.DataFrame:
    """Number of responses per group."""
    by = _check_by(by)
    if not by:
        frame = pd.DataFrame({"n": [len(table)]})
    else:
        frame = table.groupby(by, dropna=False).size().rename("n").reset_index()
    return suppress(frame, "n", min_cell, [])


def long_answers(table: pd.DataFrame, question: Question) -> pd.DataFrame:
    """One row per (response, chosen value) of a choice or scale question; a multiple-choice
    answer gives one row per choice."""
    if question.id not in table:
        return pd.DataFrame(columns=[*GROUPS, "response", "value"])
    part = table[["response", *GROUPS, question.id]].dropna(subset=[question.id])
    part = part.rename(columns={question.id: "value"})
    if question.type == "multiple":
        part = part.assign(value=part["value"].astype(str).str.split(";")).explode("value")
    elif question.type == "scale5":
        part = part.assign(value=part["value"].astype(float).astype(int).astype(str))
    return part


def value_labels(question: Question, locale: str = "ja") -> dict[str, str]:
    if question.type == "scale5":
        return {str(i): f"{i} {label}" for i, label in enumerate(question.scale_labels(locale), start=1)}
    return {c.id: c.text.get(locale) or c.text["ja"] for c in question.choices}


def distribution(table: pd.DataFrame, question: Question, by: Sequence[str] = (), *, min_cell: int = 5,
                 locale: str = "ja") -> pd.DataFrame:
    """Per group and answer value: ``count``, ``n`` (respondents who answered the question in the
    group) and ``share`` (count / n; for multiple choice the shares add up to more than 1).
    Every value of the question is listed, answered or not."""
    by = _check_by(by)
    answers = long_answers(table, question)
    labels = value_labels(question, locale)
    if by:
        n = answers.groupby(by, dropna=False)["response"].nunique().rename("n")
        counts = answers.groupby([*by, "value"], dropna=False).size().rename("count")
        groups = n.index.to_frame(index=False)
    else:
        n = pd.Series([answers["response"].nunique()], name="n")
        counts = answers.groupby("value").size().rename("count")
        groups = pd.DataFrame(index=[0])
    grid = groups.merge(pd.DataFrame({"value": list(labels)}), how="cross")
    frame = grid.merge(counts.reset_index(), on=[*by, "value"], how="left") if by else \
        grid.merge(counts.reset_index(), on="value", how="left")
    frame["count"] = frame["count"].fillna(0)
    frame = frame.merge(n.reset_index(), on=by, how="left") if by else frame.assign(n=int(n.iloc[0]))
    frame["n"] = frame["n"].fillna(0)
    frame["share"] = np.where(frame["n"] > 0, frame["count"] / frame["n"].where(frame["n"] > 0, 1), np.nan)
    frame["label"] = frame["value"].map(labels)
    frame.insert(0, "question", question.id)
    return suppress(frame, "n", min_cell, ["count", "share"])


def scale_scores(table: pd.DataFrame, questions: Sequence[Question], by: Sequence[str] = (), *,
                 min_cell: int = 5, low_score: int = 2) -> pd.DataFrame:
    """Per group and 5-point question: ``n``, ``mean``, ``positive`` (share of 4–5) and ``low``
    (share at or under ``low_score``)."""
    by = _check_by(by)
    rows = []
    for q in questions:
        if q.type != "scale5" or q.id not in table:
            continue
        part = table[[*by, q.id]].dropna(subset=[q.id]).rename(columns={q.id: "score"})
        part = part.assign(score=part["score"].astype(float), pos=part["score"].astype(float) >= 4,
                           lo=part["score"].astype(float) <= low_score)
        if by:
            agg = part.groupby(by, dropna=False).agg(n=("score", "size"), mean=("score", "mean"),
                                                     positive=("pos", "mean"), low=("lo", "mean")).reset_index()
        else:
            agg = pd.DataFrame({"n": [len(part)], "mean": [part["score"].mean()],
                                "positive": [part["pos"].mean()], "low": [part["lo"].mean()]})
        agg.insert(0, "question", q.id)
        rows.append(agg)
    if not rows:
        return pd.DataFrame(columns=["question", *by, "n", "mean", "positive", "low", "suppressed"])
    return suppress(pd.concat(rows, ignore_index=True), "n", min_cell, ["mean", "positive", "low"])


def trend(table: pd.DataFrame, questions: Sequence[Question], *, town: str | None = None, min_cell: int = 5,
          low_score: int = 2) -> pd.DataFrame:
    """Scale scores per fiscal year (年度), for one town or the national pool."""
    part = table if town is None else table[table["town"] == town]
    return scale_scores(part, questions, ("year",), min_cell=min_cell, low_score=low_score)


def summary_tables(table: pd.DataFrame, surveys: Surveys, *, by: Sequence[str] = (), town: str | None = None,
                   min_cell: int | None = None) -> dict[str, pd.DataFrame]:
    """The standard set for a notebook or ``kizuna survey summary``: respondents, scale scores
    and each choice question's distribution, grouped by ``by``."""
    k = min_cell or surveys.settings.min_cell
    q = surveys.questionnaire(town if town in surveys.towns else None)
    part = table if town is None else table[table["town"] == town]
    out = {"respondents": respondents(part, by, min_cell=k),
           "scores": scale_scores(part, q.questions, by, min_cell=k, low_score=surveys.settings.low_score)}
    for question in q.questions:
        if question.is_choice:
            out[question.id] = distribution(part, question, by, min_cell=k)
    return out


def plot_distribution(dist: pd.DataFrame, title: str, *, group: str | None = None):  # -> matplotlib Figure
    """A horizontal bar chart of shares (suppressed groups left out, and said so in the title)."""
    import japanize_matplotlib  # noqa: F401, PLC0415 - Japanese font for labels
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt  # noqa: PLC0415

    shown = dist[~dist["suppressed"]]
    hidden = dist.loc[dist["suppressed"], group].nunique() if group and group in dist else 0
    fig, ax = plt.subplots(figsize=(7, 0.4 * max(3, shown["label"].nunique()) + 1.2))
    if group and group in shown:
        pivot = shown.pivot_table(index="label", columns=group, values="share", sort=False)
        pivot.plot.barh(ax=ax)
    else:
        ax.barh(shown["label"], shown["share"])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("割合")
    ax.set_title(title + (f"（回答5件未満の{hidden}グループは非表示）" if hidden else ""))
    fig.tight_layout()
    return fig


def plot_trend(scores: pd.DataFrame, title: str):  # -> matplotlib Figure
    """Mean score per year, one line per question."""
    import japanize_matplotlib  # noqa: F401, PLC0415
    import matplotlib.pyplot as plt  # noqa: PLC0415

    fig, ax = plt.subplots(figsize=(7, 3.5))
    for qid, part in scores[~scores["suppressed"]].groupby("question"):
        ax.plot(part["year"].astype(int), part["mean"], marker="o", label=qid)
    ax.set_ylim(1, 5)
    ax.set_xlabel("年度")
    ax.set_ylabel("平均（1〜5）")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig
