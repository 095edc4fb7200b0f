"""The dated list one registrant gets: due-date anchor until birth, then the birth anchor."""
from __future__ import annotations

from datetime import date

from kizuna.catalog.workspace import Workspace
from kizuna.exports.approval import approvals
from kizuna.exports.preview import render_text, schedule
from kizuna.exports.render import town_catalog

DUE = date(2025, 6, 1)


def dated(ws: Workspace, **kw) -> list[tuple[str, str]]:
    catalog = town_catalog(ws, ws.town("202029"), "ja", approvals(ws))
    return [(d.day.isoformat(), d.entry.message_id)
            for d in schedule(catalog.entries, catalog.send_time, due=DUE, **kw)]


def test_birth_before_due_date_drops_remaining_pregnancy_messages(ws: Workspace, signoff) -> None:
    got = dated(ws, birth=date(2025, 5, 20))
    assert got == [("2024-11-03", "p10w-hello"), ("2024-11-03", "p10w-second"),
                   ("2025-05-20", "b0d-born"), ("2025-06-20", "b1m-month"),
                   ("2026-11-20", "b1y6m-checkup")]


def test_birth_after_due_date_keeps_late_pregnancy_messages(ws: Workspace, signoff) -> None:
    got = dict((mid, day) for day, mid in dated(ws, birth=date(2025, 6, 9)))
    assert got["p40w-due"] == "2025-06-01" and got["p41w-late"] == "2025-06-08"
    assert got["b0d-born"] == "2025-06-09"


def test_without_a_birth_date_birth_is_assumed_on_the_due_date(ws: Workspace, signoff) -> None:
    got = dict((mid, day) for day, mid in dated(ws))
    assert "p40w-due" not in got and got["b0d-born"] == "2025-06-01"


def test_months_clamp_to_the_end_of_a_shorter_month(ws: Workspace, signoff) -> None:
    got = dict((mid, day) for day, mid in dated(ws, birth=date(2025, 1, 31)))
    assert got["b1m-month"] == "2025-02-28"


def test_days_window_from_a_start_date(ws: Workspace, signoff) -> None:
    got = dated(ws, birth=date(2025, 5, 20), start=date(2025, 5, 20), days=32)
    assert got == [("2025-05-20", "b0d-born"), ("2025-06-20", "b1m-month")]
    assert dated(ws, birth=date(2025, 5, 20), days=1) == [("2024-11-03", "p10w-hello"),
                                                          ("2024-11-03", "p10w-second")]


def test_text_rendering(ws: Workspace, signoff) -> None:
    catalog = town_catalog(ws, ws.town("202029"), "ja", approvals(ws))
    deliveries = schedule(catalog.entries, catalog.send_time, due=DUE, days=1)
    text = render_text(catalog, deliveries, due=DUE, birth=None)
    assert text.startswith("松本市 (202029) [ja]  出産予定日 2025-06-01  出生日未登録")
    assert "2024-11-03 08:00  P10w 妊娠10週0日  p10w-hello\n    妊娠10週のメッセージです。" in text
