"""The town's yearly report (事業報告): one self-contained HTML file per town and fiscal year.

It shows, in Japanese: what the town's catalog sends (messages per phase, local messages and
blocks, locales with their own text or a fallback, survey invitations); the survey results of
the year (respondents per invitation stage and locale, 5-point scores, choice distributions,
the trend across years, screening counts where the town follows them up) against the national
pool; free-text themes (counts only, never quotes); and the messages readers' evidence was
linked to (:mod:`.loop`). Every figure obeys small-cell suppression (:mod:`.summary`); the pool
is shown only when the pool without the town still has ``min_cell`` answers.

Bars are plain HTML (no images), so 1,741 reports are quick to build and print well; the file
has print styles, so a browser's "print to PDF" (or ``chromium --headless --print-to-pdf``)
gives the PDF. kizuna does not make the PDF itself: the well-kept offline HTML-to-PDF library
(WeasyPrint) needs the Pango system libraries, which this project does not require.

The national figures and every town's groupings are computed once (:func:`prepare`), then each
report is a slice of them (:func:`town_context`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import jinja2
import pandas as pd

from kizuna import __version__
from kizuna.catalog.errors import KizunaError
from kizuna.catalog.lock import workspace_lock
from kizuna.catalog.safepaths import write_target
from kizuna.catalog.templating import render, stage_context
from kizuna.catalog.towns import Town
from kizuna.catalog.workspace import Workspace
from kizuna.catalog.yamlio import write_atomic
from kizuna.surveys.loop import Evidence, link_evidence
from kizuna.surveys.model import Question, Surveys
from kizuna.surveys.summary import distribution, scale_scores
from kizuna.surveys.themes import response_themes, themes
from kizuna.catalog.i18n import _

LOCALE_LABELS = {"ja": "日本語", "ja-easy": "やさしい日本語", "en": "英語"}
HOW_LABELS = {"invitation": "案内リンク", "window": "配信時期と話題", "tag": "レビュアーのタグ"}
SYNTHETIC_COLUMN = "synthetic"


@dataclass
class Pool:
    """Everything computed once for all towns of one fiscal year."""

    year: int
    surveys: Surveys
    table: pd.DataFrame  # the year's responses
    all_years: pd.DataFrame
    min_cell: int
    #: per town (the key), split once so that each report is a lookup, not a scan
    scores_town: dict[str, pd.DataFrame]
    scores_pool: pd.DataFrame
    dist_town: dict[str, dict[str, pd.DataFrame]]
    dist_pool: dict[str, pd.DataFrame]
    by_stage: dict[str, pd.DataFrame]
    by_locale: dict[str, pd.DataFrame]
    town_n: pd.Series
    themes_town: pd.DataFrame
    texts_town: pd.Series
    trend: dict[str, pd.DataFrame]
    screening: dict[str, pd.DataFrame]
    evidence: dict[str, Evidence]
    synthetic: bool


def prepare(ws: Workspace, surveys: Surveys, table: pd.DataFrame, *, year: int | None = None,
            link: bool = True) -> Pool:
    """The national figures and per-town groupings of ``year`` (default: the latest year)."""
    if table.empty or table["year"].dropna().empty:
        raise KizunaError(_("no survey responses are stored yet; run 'kizuna survey import FILE' first"))
    year = int(table["year"].dropna().max()) if year is None else year
    part = table[table["year"] == year]
    if part.empty:
        raise KizunaError(_("no responses of {year}年度; years stored: "
                          "{ys}").format(year=year, ys=', '.join(str(int(y)) for y in sorted(table['year'].dropna().unique()))))
    k = surveys.settings.min_cell
    questions = list(surveys.all_questions().values())
    choice = [q for q in questions if q.is_choice and q.type != "screening"]
    texts = [q.id for q in questions if q.type == "text" and q.id in part]
    screening = [q.id for q in questions if q.type == "screening" and q.id in part]
    themed = response_themes(part, texts)
    themed["town"] = part["town"]
    answered = part[texts].notna().any(axis=1) if texts else pd.Series(False, index=part.index)
    return Pool(
        year=year, surveys=surveys, table=part, all_years=table, min_cell=k,
        scores_town=by_town(scale_scores(part, questions, ("town",), min_cell=1, low_score=surveys.settings.low_score)),
        scores_pool=scale_scores(part, questions, (), min_cell=1, low_score=surveys.settings.low_score),
        dist_town={q.id: by_town(distribution(part, q, ("town",), min_cell=1)) for q in choice},
        dist_pool={q.id: distribution(part, q, (), min_cell=1) for q in choice},
        by_stage=by_town(part.groupby(["town", "stage"]).size().rename("n").reset_index()),
        by_locale=by_town(part.groupby(["town", "locale"]).size().rename("n").reset_index()),
        town_n=part.groupby("town").size(),
        themes_town=themed.groupby("town").sum(),
        texts_town=answered.groupby(part["town"]).sum(),
        trend=by_town(scale_scores(table, questions, ("town", "year"), min_cell=1)),
        screening=by_town(part[["town", *screening]]) if screening else {},
        evidence=link_evidence(ws, surveys, table, year=year) if link else {},
        synthetic=SYNTHETIC_COLUMN in table and table[SYNTHETIC_COLUMN].astype(str).eq("True").any(),
    )


EMPTY = pd.DataFrame(columns=["question", "town", "value", "label", "n", "count", "share"])
EMPTY_COUNTS = pd.DataFrame(columns=["town", "stage", "locale", "n"])


def by_town(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """``frame`` split by its ``town`` column (one pass)."""
    return {str(code): part for code, part in frame.groupby("town", sort=False)}


# pieces (pure) ---------------------------------------------------------------------------------
def pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def shown(n: float, k: int) -> str:
    return f"{int(n)}" if n >= k else f"{k}件未満"


def preview_text(text: str, town: Town, stage: Any) -> str:
    """The message as the town's readers get it (template fields filled), on one line."""
    try:
        text = render(text, {"town": town.template_context(), "stage": stage_context(stage)})
    except KizunaError:
        pass
    return text.replace("\n", "")


def phase_label(stage: Any) -> str:
    if stage.phase == "P":
        return "妊娠期"
    return f"{stage.years}歳" if stage.years < 3 else "3歳以上"


def sent_summary(ws: Workspace, town: Town, surveys: Surveys) -> dict[str, Any]:
    """Messages per phase (national, local, blocks), locales (own text or fallback), invitations."""
    sent = [m for m in ws.town_messages(town) if m.stage.phase == "P" or m.stage < town.end_age]
    order = ["妊娠期", "0歳", "1歳", "2歳", "3歳以上"]
    phases = {p: {"label": p, "national": 0, "local": 0, "blocks": 0} for p in order}
    for m in sent:
        phases[phase_label(m.stage)]["local" if m.town else "national"] += 1
    for stage in town.blocks:
        phases[phase_label(stage)]["blocks"] += 1
    rows = [r for r in phases.values() if r["national"] or r["local"] or r["blocks"]]
    locales = []
    for loc in town.locales:
        own = sum(1 for m in sent if loc in m.texts)
        fallback = sum(1 for m in sent if loc not in m.texts and ws.config.text_locale(m, loc))
        locales.append({"label": f"{LOCALE_LABELS.get(loc, loc)}（{loc}）", "own": own, "fallback": fallback})
    q = surveys.questionnaire(town.code if town.code in surveys.towns else None)
    invitations = [{"stage": str(i.stage), "label": i.stage.label_ja, "message": i.message} for i in q.invitations]
    return {"policy": town.policy, "end_age": town.end_age.label_ja, "channels": "・".join(town.channels),
            "phases": rows, "total_national": sum(r["national"] for r in rows),
            "total_local": sum(r["local"] for r in rows), "total_blocks": sum(r["blocks"] for r in rows),
            "locales": locales, "invitations": invitations}


def _pool_visible(pool_n: float, town_n: float, k: int) -> bool:
    return pool_n - town_n >= k


def _score_rows(pool: Pool, code: str, questions: Sequence[Question]) -> list[dict[str, Any]]:
    k = pool.min_cell
    town = {r["question"]: r for r in pool.scores_town[code].to_dict("records")} if code in pool.scores_town else {}
    nat = {r["question"]: r for r in pool.scores_pool.to_dict("records")}
    rows = []
    for q in questions:
        if q.type != "scale5" or q.id not in nat:
            continue
        t = town.get(q.id)
        n = float(t["n"]) if t is not None else 0.0
        p = nat[q.id]
        row = {"text": q.wording("ja"), "hidden": n < k, "n": int(n),
               "pool_hidden": not _pool_visible(float(p["n"]), n, k),
               "pool_mean": f"{p['mean']:.2f}", "pool_positive": pct(p["positive"]),
               "pool_width": round(p["positive"] * 8, 2)}
        if t is not None and n >= k:
            row.update(mean=f"{t['mean']:.2f}", positive=pct(t["positive"]), pos_width=round(t["positive"] * 8, 2))
        rows.append(row)
    return rows


def _choice_blocks(pool: Pool, code: str, questions: Sequence[Question]) -> list[dict[str, Any]]:
    k = pool.min_cell
    out = []
    for q in questions:
        if q.id not in pool.dist_town:
            continue
        dt = pool.dist_town[q.id].get(code, EMPTY)
        dp = pool.dist_pool[q.id]
        n = float(dt["n"].iloc[0]) if len(dt) else 0.0
        pool_n = float(dp["n"].iloc[0]) if len(dp) else 0.0
        shares = dict(zip(dt["value"], dt["share"]))
        pool_shares = dict(zip(dp["value"], dp["share"]))
        rows = [{"label": label, "share": pct(shares.get(v, 0.0)), "width": round(shares.get(v, 0.0) * 8, 2),
                 "pool_share": pct(pool_shares.get(v, 0.0)), "pool_width": round(pool_shares.get(v, 0.0) * 8, 2)}
                for v, label in zip(dp["value"], dp["label"])]
        out.append({"text": q.wording("ja"), "hidden": n < k, "n": int(n), "pool_n": int(pool_n),
                    "pool_hidden": not _pool_visible(pool_n, n, k), "rows": rows})
    return out


def _trend(pool: Pool, code: str, questions: Sequence[Question]) -> dict[str, Any] | None:
    part = pool.trend.get(code)
    if part is None:
        return None
    cells = {(q, int(y)): (n, mean) for q, y, n, mean in zip(part["question"], part["year"], part["n"], part["mean"])}
    years = sorted({y for _, y in cells})
    if len(years) < 2:
        return None
    rows = []
    for q in questions:
        if q.type != "scale5":
            continue
        values = [f"{cells[(q.id, y)][1]:.2f}" if (q.id, y) in cells and cells[(q.id, y)][0] >= pool.min_cell else None
                  for y in years]
        rows.append({"text": q.wording("ja"), "cells": values})
    return {"years": years, "rows": rows}


def _screening(pool: Pool, code: str, questions: Sequence[Question], follow_up: Any) -> dict[str, Any] | None:
    part = pool.screening.get(code)
    items = [q for q in questions if q.type == "screening" and part is not None and q.id in part]
    if not items or not follow_up:
        return None
    k = pool.min_cell
    rows = []
    for q in items:
        scores = {c.id: c.score or 0 for c in q.choices}
        answered = part[q.id].dropna()
        over = int(answered.map(scores).ge(q.threshold or 0).sum())
        rows.append({"text": q.wording("ja"), "n": shown(len(answered), k), "hidden": len(answered) < k,
                     "over": shown(over, k) if len(answered) >= k else "—", "hidden_over": over < k})
    threshold = next((c.text.get("ja") for c in items[0].choices if (c.score or 0) >= (items[0].threshold or 0)), "")
    return {"by": follow_up.get("by", "保健師"), "threshold_text": threshold, "rows": rows}


def town_context(ws: Workspace, pool: Pool, code: str, *, revision: str = "",
                 now: datetime | None = None) -> dict[str, Any]:
    """The template context of one town's report."""
    town = ws.town(code)
    k = pool.min_cell
    surveys = pool.surveys
    q = surveys.questionnaire(code if code in surveys.towns else None)
    n_town = int(pool.town_n.get(code, 0))
    by_stage = pool.by_stage.get(code, EMPTY_COUNTS)
    by_locale = pool.by_locale.get(code, EMPTY_COUNTS)

    def stage_label(s: str) -> str:
        from kizuna.catalog.stages import Stage  # noqa: PLC0415

        return f"{Stage.parse(s).label_ja}（{s}）" if s else "不明"

    labels = {t.id: t.label for t in themes()}
    theme_row = pool.themes_town.loc[code] if code in pool.themes_town.index else pd.Series(dtype=int)
    theme_rows = sorted(({"label": labels[t], "n": int(theme_row.get(t, 0))} for t in labels),
                        key=lambda r: -r["n"])
    named = []
    for mid, ev in pool.evidence.items():
        n = ev.per_town.get(code, 0)
        if not n:
            continue
        m = ws.message(mid)
        text = preview_text(m.text(ws.config.source_locale) or next(iter(m.texts.values())).text, town, m.stage)
        named.append({"id": mid, "stage": m.stage.label_ja, "preview": text[:40] + ("…" if len(text) > 40 else ""),
                      "n": shown(n, k), "hidden": n < k, "how": "・".join(HOW_LABELS[h] for h in sorted(ev.how)),
                      "_n": n, "_order": m.stage.sort_key})
    named.sort(key=lambda r: (-r["_n"], r["_order"]))
    return {
        "version": __version__, "town": town, "year_label": f"{pool.year}年度",
        "generated": (now or datetime.now()).strftime("%Y-%m-%d %H:%M"),
        "workspace_title": ws.config.title or "kizuna", "revision": revision, "min_cell": k,
        "synthetic": pool.synthetic,
        "sent": sent_summary(ws, town, surveys),
        "responses": {
            "town": shown(n_town, k), "pool": shown(len(pool.table), k),
            "by_stage": [{"label": stage_label(s), "n": shown(n, k), "hidden": n < k}
                         for s, n in zip(by_stage["stage"], by_stage["n"])],
            "by_locale": [{"label": f"{LOCALE_LABELS.get(loc, loc)}（{loc}）", "n": shown(n, k), "hidden": n < k}
                          for loc, n in zip(by_locale["locale"], by_locale["n"])],
        },
        "scores": _score_rows(pool, code, q.questions),
        "choices": _choice_blocks(pool, code, [qq for qq in q.questions if qq.is_choice and qq.type != "screening"]),
        "trend": _trend(pool, code, q.questions),
        "screening": _screening(pool, code, q.questions, q.follow_up),
        "free_text": {"answers": shown(int(pool.texts_town.get(code, 0)), k),
                      "themes": [{"label": r["label"], "count": shown(r["n"], k), "hidden": r["n"] < k}
                                 for r in theme_rows]},
        "named": named,
    }


_ENV = jinja2.Environment(loader=jinja2.FunctionLoader(
    lambda name: resources.files("kizuna.surveys").joinpath(f"templates/{name}").read_text("utf-8")),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_report(context: dict[str, Any]) -> str:
    return _ENV.get_template("town_report.html.j2").render(**context)


def report_name(code: str, year: int) -> str:
    return f"report-{code}-{year}.html"


def write_reports(ws: Workspace, pool: Pool, codes: Sequence[str], out_dir: Path, *,
                  revision: str = "") -> list[Path]:
    """Write one report per town under ``out_dir`` (inside the workspace), under the lock."""
    for code in codes:
        ws.town(code)  # an unknown town is an error before anything is written
    written = []
    now = datetime.now()
    with workspace_lock(ws.root, "kizuna survey report"):
        folder = write_target(ws.root, out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for code in codes:
            path = write_target(ws.root, folder / report_name(code, pool.year))
            write_atomic(path, render_report(town_context(ws, pool, code, revision=revision, now=now)))
            written.append(path)
    return written
