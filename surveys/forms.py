"""Form export: a town's questionnaire as files a forms service (Google Forms, Microsoft Forms,
a vendor's form builder) can be built from, with the stable question ids.

Two shapes, one locale each:

* **neutral JSON** (``kizuna_form: 1``): title, description, the system items to prefill from
  the invitation link (``kz-town``, ``kz-stage``, ``kz-locale``, ``kz-message``), then every
  question with its id, type, wording, required flag, choices (id and label) or 5-point scale
  labels. :func:`form_to_json` / :func:`form_from_json` round-trip.
* **a sheet** (XLSX or CSV, one row per item) in the layout form-builder add-ons import:
  ``id, type, required, title, help, option 1 … option n``, with the types named as in Google
  Apps Script's ``FormApp`` (``MULTIPLE_CHOICE``, ``CHECKBOX``, ``SCALE``, ``PARAGRAPH_TEXT``,
  ``TEXT``). :func:`sheet_rows` / :func:`form_from_rows` round-trip.

A question's id never appears in what readers see; the response import maps the forms
service's columns back to ids by wording (:mod:`.responses`).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import orjson
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from kizuna.surveys.model import SYSTEM_FIELDS, SYSTEM_LABELS, Questionnaire, SurveyError
from kizuna.catalog.i18n import _

FORM_VERSION = 1
SHEET_TYPES = {"single": "MULTIPLE_CHOICE", "screening": "MULTIPLE_CHOICE", "multiple": "CHECKBOX",
               "scale5": "SCALE", "text": "PARAGRAPH_TEXT", "system": "TEXT"}
SHEET_HEAD = ("id", "type", "required", "title", "help")


@dataclass(frozen=True)
class FormItem:
    """One item of a form in one locale (what a forms service holds)."""

    id: str
    type: str  # single | multiple | scale5 | screening | text | system
    title: str
    required: bool = False
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (choice id, label)
    scale: tuple[str, ...] = ()  # five labels, for scale5


@dataclass(frozen=True)
class Form:
    id: str
    town: str | None
    locale: str
    title: str
    description: str
    items: tuple[FormItem, ...]


def build_form(q: Questionnaire, locale: str, source_locale: str = "ja") -> Form:
    """The questionnaire in ``locale`` (a wording missing in it falls back to the source)."""
    if locale not in q.locales:
        raise SurveyError(_("locale '{locale}' is not one of the workspace's locales ({locales})").format(locale=locale, locales=', '.join(q.locales)))

    def say(wording: Any) -> str:
        return (wording.get(locale) or wording.get(source_locale) or "") if wording else ""

    items = [FormItem(f, "system", SYSTEM_LABELS[f], help="招待リンクで自動入力（回答者には表示しない）")
             for f in SYSTEM_FIELDS]
    for question in q.questions:
        items.append(FormItem(
            question.id, question.type, question.wording(locale, source_locale), question.required,
            choices=tuple((c.id, say(c.text)) for c in question.choices),
            scale=question.scale_labels(locale) if question.type == "scale5" else ()))
    description = say(q.intro)
    if q.follow_up:
        notice = say(q.follow_up.get("notice"))
        description = "\n".join(t for t in (description, notice) if t)
    return Form(q.id, q.town, locale, say(q.title) or q.id, description, tuple(items))


def form_to_data(form: Form) -> dict[str, Any]:
    items = []
    for it in form.items:
        entry: dict[str, Any] = {"id": it.id, "type": it.type, "title": it.title, "required": it.required}
        if it.help:
            entry["help"] = it.help
        if it.choices:
            entry["choices"] = [{"id": cid, "label": label} for cid, label in it.choices]
        if it.scale:
            entry["scale"] = {"min": 1, "max": 5, "labels": list(it.scale)}
        items.append(entry)
    return {"kizuna_form": FORM_VERSION, "id": form.id, "town": form.town, "locale": form.locale,
            "title": form.title, "description": form.description, "items": items}


def form_to_json(form: Form) -> bytes:
    return orjson.dumps(form_to_data(form), option=orjson.OPT_INDENT_2) + b"\n"


def form_from_json(data: bytes | str, path: str = "form.json") -> Form:
    """Read a neutral JSON form back (the inverse of :func:`form_to_json`)."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise SurveyError(_("not JSON: {exc}").format(exc=exc), path=path) from None
    if not isinstance(raw, dict) or raw.get("kizuna_form") != FORM_VERSION:
        raise SurveyError(_("not a kizuna form (kizuna_form: {FORM_VERSION})").format(FORM_VERSION=FORM_VERSION), path=path)
    items = []
    for i, it in enumerate(raw.get("items") or []):
        try:
            items.append(FormItem(it["id"], it["type"], it["title"], bool(it.get("required")), it.get("help", ""),
                                  tuple((c["id"], c["label"]) for c in it.get("choices") or ()),
                                  tuple((it.get("scale") or {}).get("labels") or ())))
        except (KeyError, TypeError):
            raise SurveyError(_("an item needs id, type and title"), path=path, field=f"items[{i}]") from None
    return Form(raw["id"], raw.get("town"), raw["locale"], raw["title"], raw.get("description", ""), tuple(items))


def sheet_rows(form: Form) -> list[list[str]]:
    """Header and one row per item: ``id, type, required, title, help, option 1 … option n``
    (a scale's options are its five labels, lowest first)."""
    width = max([len(it.choices) or len(it.scale) for it in form.items] + [0])
    rows = [list(SHEET_HEAD) + [f"option {i}" for i in range(1, width + 1)]]
    for it in form.items:
        options = [label for _, label in it.choices] or list(it.scale)
        kind = SHEET_TYPES[it.type] + ("/screening" if it.type == "screening" else "")
        rows.append([it.id, kind, "TRUE" if it.required else "FALSE", it.title, it.help]
                    + options + [""] * (width - len(options)))
    return rows


def _sheet_type(value: str, where: str) -> str:
    if value == "MULTIPLE_CHOICE/screening":
        return "screening"
    for kind, name in SHEET_TYPES.items():
        if name == value and kind != "screening":
            return kind
    raise SurveyError(_("unknown item type '{value}'; use one of {set}").format(value=value, set=', '.join(sorted(set(SHEET_TYPES.values())))),
                      location=where)


def form_from_rows(rows: Sequence[Sequence[Any]], *, form_id: str, town: str | None, locale: str,
                   title: str = "", description: str = "", questions: Questionnaire | None = None) -> Form:
    """Read a form sheet back; choice ids come from ``questions`` when given (a sheet holds labels)."""
    if not rows or [str(c or "") for c in rows[0][:5]] != list(SHEET_HEAD):
        raise SurveyError(_("the first row must be {SHEET_HEAD}, option 1, ...").format(SHEET_HEAD=', '.join(SHEET_HEAD)), location=_("row 1"))
    items = []
    for n, row in enumerate(rows[1:], start=2):
        cells = ["" if c is None else str(c) for c in row]
        if not any(cells):
            continue
        kind = _sheet_type(cells[1], _("row {n}, column type").format(n=n))
        options = tuple(c for c in cells[5:] if c)
        source = questions.question(cells[0]) if questions else None
        ids = [c.id for c in source.choices] if source else [str(i) for i in range(1, len(options) + 1)]
        choices = tuple(zip(ids, options)) if kind not in ("scale5", "text", "system") else ()
        items.append(FormItem(cells[0], kind, cells[3], cells[2].upper() == "TRUE", cells[4], choices,
                              options if kind == "scale5" else ()))
    return Form(form_id, town, locale, title, description, tuple(items))


def sheet_to_csv(rows: Iterable[Sequence[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def sheet_to_xlsx(forms: Sequence[Form]) -> bytes:
    """One worksheet per locale, the form's title and description in the first two rows' notes."""
    wb = Workbook()
    wb.remove(wb.active)
    for form in forms:
        ws = wb.create_sheet(form.locale)
        for row in sheet_rows(form):
            ws.append(row)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        ws.column_dimensions["A"].width = 26
        ws.column_dimensions["D"].width = 60
    wb.properties.title = forms[0].title if forms else ""
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_rows(data: bytes, locale: str) -> list[list[Any]]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    if locale not in wb.sheetnames:
        raise SurveyError(_("no sheet '{locale}' in the form workbook (sheets: {sheetnames})").format(locale=locale, sheetnames=', '.join(wb.sheetnames)))
    return [list(r) for r in wb[locale].iter_rows(values_only=True)]
