"""Questionnaire files: the sample loads; what the schema and the workspace rules refuse."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kizuna.catalog.workspace import load_workspace
from kizuna.surveys.model import SurveyError, load_surveys


def edit(path: Path, change: Any) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_sample_core_and_town_questions(ws, surveys) -> None:
    core = surveys.questionnaire()
    town = surveys.questionnaire("202029")
    assert core.ids[:3] == ["helpful", "easy-to-read", "timing"]
    assert town.ids[: len(core.ids)] == core.ids and "matsumoto-mood" in town.ids
    assert town.follow_up and "保健師" in town.follow_up["by"]
    assert [str(i.stage) for i in core.invitations] == ["P20w", "B4m7d", "B1y7d", "B1y6m"]
    # every question speaks every locale of the sample
    assert all(set(q.text) == {"ja", "ja-easy", "en"} for q in town.questions)
    # the invitations are ordinary messages, checked and signed off like any other
    assert ws.message("survey-b04m-invitation").topics == ("survey",)


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda d: d["questions"][0].update(type="stars"), "questions[0].type", "is not one of"),
    (lambda d: d["questions"][0]["text"].pop("ja"), "questions[0].text", "needs the ja wording"),
    (lambda d: d["questions"][1].update(id="helpful"), "questions[1].id", "used twice"),
    (lambda d: d["questions"][3]["choices"][1].update(id="checkup"), "questions[3].choices[1]", "used twice"),
    (lambda d: d["invitations"][1].update(message="no-such-message"), "invitations[1].message", "no message"),
    (lambda d: d["invitations"][1].update(stage="B4m"), "invitations[1].message", "is sent at B4m7d"),
    (lambda d: d["questions"].append({"id": "mood", "type": "screening", "text": {"ja": "気分"},
                                      "choices": [{"id": "a", "text": {"ja": "a"}, "score": 0},
                                                  {"id": "b", "text": {"ja": "b"}, "score": 1}]}),
     "questions[8]", "screening items belong in a town's questions"),
])
def test_core_errors_name_file_and_field(sample_path: Path, change, field: str, words: str) -> None:
    path = sample_path / "surveys" / "core.yaml"
    edit(path, change)
    with pytest.raises(SurveyError) as info:
        load_surveys(load_workspace(sample_path))
    assert info.value.path == str(path) and info.value.field == field and words in info.value.message


def test_screening_needs_the_towns_follow_up(sample_path: Path) -> None:
    path = sample_path / "surveys" / "towns" / "202029.yaml"
    edit(path, lambda d: d.pop("follow_up"))
    with pytest.raises(SurveyError, match="needs follow_up"):
        load_surveys(load_workspace(sample_path))


def test_a_town_question_may_not_reuse_a_core_id(sample_path: Path) -> None:
    path = sample_path / "surveys" / "towns" / "202029.yaml"
    edit(path, lambda d: d["questions"][0].update(id="helpful"))
    with pytest.raises(SurveyError, match="already a core question"):
        load_surveys(load_workspace(sample_path))


def test_a_workspace_without_surveys_has_none(make_workspace) -> None:
    surveys = load_surveys(load_workspace(make_workspace()))
    assert surveys.core is None and not surveys.towns
    with pytest.raises(SurveyError, match="core questionnaire"):
        surveys.questionnaire()
