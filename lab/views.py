"""The notebooks ``kizuna lab`` shows: one per stage band and locale, built from the workspace.

A view's name is ``<band>.<locale>.ipynb`` (``newborn.ja.ipynb``); both parts are checked against
the workspace's bands and locales before anything else happens, so a path from a browser never
names anything else. Above each message cell the note cell shows, besides the findings and
pending suggestions of ``kizuna author notebook``, the sign-off state (and that saving an edit
withdraws an approval) and the text as the sample town reads it, templates filled in.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from kizuna.authoring.notebooks import (BANDS, _findings_lines, _pending_lines, build_notebook,
                                        group_messages)
from kizuna.catalog.errors import KizunaError
from kizuna.catalog.messages import Message
from kizuna.catalog.roster import ROLES
from kizuna.catalog.templating import render_for_town, stage_context
from kizuna.catalog.workspace import Workspace
from kizuna.catalog.i18n import _

FOLDER = "notebooks"
NAME = re.compile(r"(?P<band>[a-z][a-z0-9-]{0,40})\.(?P<locale>[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})?)\.ipynb", re.ASCII)


class ViewNotFound(KizunaError):
    """A notebook name that is not one of the workspace's views."""


@dataclass(frozen=True)
class View:
    band: str
    locale: str

    @property
    def name(self) -> str:
        return f"{self.band}.{self.locale}.ipynb"

    @property
    def path(self) -> str:
        return f"{FOLDER}/{self.name}"


def parse_view(ws: Workspace, name: str) -> View:
    """The view a file name stands for; refused unless band and locale are the workspace's."""
    found = NAME.fullmatch(name)
    if not found or found["band"] not in {b.name for b in BANDS} or found["locale"] not in ws.config.locales:
        raise ViewNotFound(_("'{name}' is not a kizuna notebook; the notebooks are named "
                           "<band>.<locale>.ipynb, e.g. newborn.ja.ipynb").format(name=name[:80]), path=FOLDER)
    return View(found["band"], found["locale"])


def views(ws: Workspace) -> list[View]:
    """Every view with at least one message: bands in stage order, for each locale."""
    groups = group_messages(ws.messages.values(), "band")
    return [View(band, locale) for locale in ws.config.locales for band in groups
            if any(locale in m.texts for m in groups[band][1]) or locale == ws.config.source_locale]


def band_messages(ws: Workspace, band: str) -> list[Message]:
    return group_messages(ws.messages.values(), "band").get(band, ("", []))[1]


def message_files(ws: Workspace, view: View) -> list[Path]:
    """The files a view is made of (for its modification time)."""
    return [ws.message_path(m.id) for m in band_messages(ws, view.band)]


def _signoff_lines(ws: Workspace, locale: str) -> dict[str, str]:
    from kizuna.review.signoff import status  # noqa: PLC0415 - review depends on catalog only

    out = {}
    for (mid, loc), st in status(ws).items():
        if loc != locale or st.town:
            continue
        line = f"承認: **{st.label_ja}**"
        if st.state == "approved":
            line += "（本文や時期を編集して保存すると、この承認は取り消され、再承認が必要になります）"
        elif st.missing_roles:
            line += "（必要な承認: " + "、".join(f"{ROLES.get(role, role)}×{n}" for role, n in st.missing_roles.items()) + "）"
        out[mid] = line
    return out


def _town_lines(ws: Workspace, messages: list[Message], locale: str) -> dict[str, str]:
    towns = [t for t in ws.towns.values() if locale in t.locales] or list(ws.towns.values())
    if not towns:
        return {}
    town = towns[0]
    out = {}
    for m in messages:
        text = m.text(locale)
        if text is None or "{{" not in text and "{%" not in text:
            continue
        context = {"town": town.template_context(), "stage": stage_context(m.stage)}
        try:
            rendered = render_for_town(text, None, context, town=town.code, message=m.id, locale=locale).national
        except KizunaError as exc:
            out[m.id] = f"{town.name}での表示: 表示できません（{exc.message}）"
            continue
        quoted = "\n".join(f"> {line}" if line else ">" for line in rendered.split("\n"))
        out[m.id] = f"{town.name}での表示:\n\n{quoted}"
    return out


def build_view(ws: Workspace, view: View, generated_at: str = "", key: bytes | None = None) -> NotebookNode:
    """The notebook of one view, as the workspace is now (no kernel: message notebooks hold no code).
    The same workspace gives the same notebook (``generated_at`` is the workspace's time, not the
    clock), so JupyterLab can tell by its hash whether it changed on disk. With the workspace's
    seal ``key`` its record of cells is sealed, so deleting a cell deletes the message on save."""
    groups = group_messages(ws.messages.values(), "band")
    title, messages = groups.get(view.band, (next(b.label for b in BANDS if b.name == view.band), []))
    findings = {m.id: _findings_lines(ws, m, view.locale) for m in messages if view.locale in m.texts}
    for mid, line in _signoff_lines(ws, view.locale).items():
        if mid in findings:
            findings[mid].insert(0, line)
    for mid, lines in _town_lines(ws, messages, view.locale).items():
        findings.setdefault(mid, []).append(lines)
    nb = build_notebook(messages, title=title, locale=view.locale, group=f"band:{view.band}",
                        filename=view.name, findings=findings, pending=_pending_lines(ws, view.locale),
                        generated_at=generated_at, key=key, lab=True)
    return nb
