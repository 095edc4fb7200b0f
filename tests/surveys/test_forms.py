"""Form export: neutral JSON and the forms-service sheet round-trip with stable question ids."""
from __future__ import annotations

import csv
import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from kizuna.surveys.forms import (build_form, form_from_json, form_from_rows, form_to_json, sheet_rows,
                                  sheet_to_csv, sheet_to_xlsx, xlsx_rows)
from kizuna.surveys.model import Choice, Question, Questionnaire


def test_json_and_sheets_round_trip_the_sample_form(surveys) -> None:
    q = surveys.questionnaire("202029")
    for locale in ("ja", "ja-easy", "en"):
        form = build_form(q, locale)
        assert form_from_json(form_to_json(form)) == form
        back = form_from_rows(sheet_rows(form), form_id=form.id, town=form.town, locale=locale, title=form.title,
                              description=form.description, questions=q)
        assert back == form
    data = json.loads(form_to_json(build_form(q, "en")))
    assert [i["id"] for i in data["items"]][:4] == ["kz-town", "kz-stage", "kz-locale", "kz-message"]
    helpful = next(i for i in data["items"] if i["id"] == "helpful")
    assert helpful["scale"]["labels"][-1] == "Strongly agree" and helpful["required"] is True


def test_csv_and_xlsx_sheets_read_back(surveys) -> None:
    q = surveys.questionnaire("202029")
    forms = [build_form(q, "ja"), build_form(q, "en")]
    text = sheet_to_csv(sheet_rows(forms[0])).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:5] == ["id", "type", "required", "title", "help"]
    mood = next(r for r in rows if r[0] == "matsumoto-mood")
    assert mood[1] == "MULTIPLE_CHOICE/screening" and mood[5] == "まったくなかった"
    back = form_from_rows(xlsx_rows(sheet_to_xlsx(forms), "en"), form_id=q.id, town="202029", locale="en",
                          title=forms[1].title, description=forms[1].description, questions=q)
    assert back == forms[1]


words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12).map(str.strip) \
    .filter(bool)
ids = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)


@st.composite
def questionnaires(draw) -> Questionnaire:
    qids = draw(st.lists(ids, min_size=1, max_size=6, unique=True))
    questions = []
    for qid in qids:
        kind = draw(st.sampled_from(["single", "multiple", "scale5", "text"]))
        choices = ()
        if kind in ("single", "multiple"):
            cids = draw(st.lists(ids, min_size=2, max_size=5, unique=True))
            choices = tuple(Choice(c, {"ja": draw(words)}) for c in cids)
        questions.append(Question(qid, kind, {"ja": draw(words)}, draw(st.booleans()), choices))
    return Questionnaire("core", None, tuple(questions), {"ja": draw(words)}, {}, (), None, ("ja",))


@settings(max_examples=40, deadline=None)
@given(questionnaires())
def test_any_questionnaire_round_trips(q: Questionnaire) -> None:
    form = build_form(q, "ja")
    assert form_from_json(form_to_json(form)) == form
    back = form_from_rows(sheet_rows(form), form_id=form.id, town=None, locale="ja", title=form.title,
                          description=form.description, questions=q)
    assert back == form
