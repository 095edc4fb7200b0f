"""Questionnaires as workspace files: the national core and each town's own questions.

Layout inside a workspace::

    surveys/core.yaml           the national core questionnaire (pooled across towns)
    surveys/towns/<code>.yaml   a town's own questions (asked after the core), optional

Each file is YAML validated by the shipped JSON Schema (``surveys/schema/survey.schema.json``),
then by the rules a schema cannot say: every wording has the source locale and only workspace
locales; question and choice ids are unique (a town question may not reuse a core id); a
screening item (EPDS-like, scored choices) appears only in a town's questions and only when the
town names who follows the answers up (``follow_up``: the town's 保健師); each invitation stage is
a stage, and its invitation message exists in ``messages/`` at that stage. Question ids are the
stable keys of forms, response files and summaries: never reuse one for a different question.

The form a town's readers answer is the core followed by the town's questions
(:meth:`Surveys.questionnaire`). Four system fields, filled in by the invitation link rather
than by the reader, travel with every response: :data:`SYSTEM_FIELDS`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import jsonschema

from kizuna.catalog import yamlio
from kizuna.catalog.errors import KizunaError, StageError, WorkspaceError
from kizuna.catalog.stages import Stage
from kizuna.catalog.workspace import Workspace
from kizuna.catalog.i18n import _
from kizuna.catalog.schema_text import explain, where as schema_where

SURVEYS_DIR = "surveys"
CORE_FILE = "core.yaml"
TOWNS_SUBDIR = "towns"
FORMAT_VERSION = 1
QUESTION_TYPES = ("single", "multiple", "scale5", "screening", "text")
CHOICE_TYPES = ("single", "multiple", "screening")
#: Filled by the invitation link (prefilled/hidden items), not by the reader: town code, the
#: stage of the invitation, the locale of the form, and the id of the invitation message.
SYSTEM_FIELDS = ("kz-town", "kz-stage", "kz-locale", "kz-message")
SYSTEM_LABELS = {"kz-town": "自治体コード（自動入力）", "kz-stage": "配信時期（自動入力）",
                 "kz-locale": "言語（自動入力）", "kz-message": "案内メッセージ（自動入力）"}
DEFAULT_SCALE_LABELS = {
    "ja": ("まったくそう思わない", "あまりそう思わない", "どちらともいえない", "ややそう思う", "とてもそう思う"),
    "ja-easy": ("ぜんぜん そう思わない", "あまり そう思わない", "どちらでもない", "すこし そう思う", "とても そう思う"),
    "en": ("Strongly disagree", "Disagree", "Neither", "Agree", "Strongly agree"),
}


class SurveyError(KizunaError):
    """A questionnaire file that is malformed or inconsistent with the workspace."""


@dataclass(frozen=True)
class Choice:
    id: str
    text: Mapping[str, str]
    score: int | None = None
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text: Mapping[str, str]
    required: bool = False
    choices: tuple[Choice, ...] = ()
    labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    topics: tuple[str, ...] = ()
    threshold: int | None = None
    #: the survey file the question comes from (``core`` or the town survey's id)
    survey: str = "core"
    town: str | None = None

    def wording(self, locale: str, fallback: str = "ja") -> str:
        return self.text.get(locale) or self.text[fallback]

    def scale_labels(self, locale: str) -> tuple[str, ...]:
        own = self.labels.get(locale) or self.labels.get("ja")
        return tuple(own) if own else DEFAULT_SCALE_LABELS.get(locale, DEFAULT_SCALE_LABELS["ja"])

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)

    @property
    def is_choice(self) -> bool:
        return self.type in CHOICE_TYPES


@dataclass(frozen=True)
class Invitation:
    stage: Stage
    message: str | None = None


@dataclass(frozen=True)
class Settings:
    """Policy for imports, summaries and the loop back (``settings:`` of ``surveys/core.yaml``)."""

    #: smallest group whose answers are shown (small-cell suppression)
    min_cell: int = 5
    #: ``refuse``: a response file with e-mail/phone/name columns is an error; ``drop``: such
    #: columns are dropped on import and never stored
    identifiers: str = "refuse"
    #: a 5-point answer at or below this is a low score (sent to the re-review queue)
    low_score: int = 2
    #: messages sent this many days before an invitation are in its stage window
    window_days: int = 60


@dataclass(frozen=True)
class Survey:
    id: str
    questions: tuple[Question, ...]
    title: Mapping[str, str] = field(default_factory=dict)
    intro: Mapping[str, str] = field(default_factory=dict)
    town: str | None = None
    invitations: tuple[Invitation, ...] = ()
    follow_up: Mapping[str, Any] | None = None
    settings: Settings = Settings()
    path: Path | None = None


@dataclass(frozen=True)
class Questionnaire:
    """The form one town's readers answer: the core questions, then the town's own."""

    id: str
    town: str | None
    questions: tuple[Question, ...]
    title: Mapping[str, str]
    intro: Mapping[str, str]
    invitations: tuple[Invitation, ...]
    follow_up: Mapping[str, Any] | None
    locales: tuple[str, ...]

    def question(self, qid: str) -> Question | None:
        return next((q for q in self.questions if q.id == qid), None)

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]


@dataclass(frozen=True)
class Surveys:
    core: Survey | None
    towns: Mapping[str, Survey]
    locales: tuple[str, ...] = ("ja",)
    source_locale: str = "ja"

    @property
    def settings(self) -> Settings:
        return self.core.settings if self.core else Settings()

    def questionnaire(self, town: str | None = None) -> Questionnaire:
        """The core (national) questionnaire, with ``town``'s own questions after it."""
        if self.core is None:
            raise SurveyError(_("there is no {SURVEYS_DIR}/{CORE_FILE}; write the core questionnaire first").format(SURVEYS_DIR=SURVEYS_DIR, CORE_FILE=CORE_FILE),
                              path=f"{SURVEYS_DIR}/{CORE_FILE}")
        own = self.towns.get(town) if town else None
        questions = self.core.questions + (own.questions if own else ())
        qid = f"{self.core.id}-{town}" if own else self.core.id
        invitations = own.invitations if own and own.invitations else self.core.invitations
        title = {**self.core.title, **(own.title if own else {})}
        intro = {**self.core.intro, **(own.intro if own else {})}
        return Questionnaire(qid, town, questions, title, intro, invitations,
                             own.follow_up if own else None, self.locales)

    def all_questions(self) -> dict[str, Question]:
        out = {q.id: q for q in self.core.questions} if self.core else {}
        for survey in self.towns.values():
            out.update({q.id: q for q in survey.questions})
        return out


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    text = resources.files("kizuna.surveys").joinpath("schema/survey.schema.json").read_text("utf-8")
    return json.loads(text)


def _schema_error(data: Any, path: Path) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = schema_where(err.absolute_path) or None
        raise SurveyError(_("{message} (see docs/surveys.md for the file format)").format(message=explain(err)), path=path, field=where)


def _wording(raw: Mapping[str, str], path: Path, where: str, locales: tuple[str, ...], source: str) -> dict[str, str]:
    unknown = [loc for loc in raw if loc not in locales]
    if unknown:
        raise SurveyError(_("locale '{unknown}' is not in the workspace's locales ({locales})").format(unknown=unknown[0], locales=', '.join(locales)),
                          path=path, field=where)
    if source not in raw:
        raise SurveyError(_("needs the {source} wording (the source locale)").format(source=source), path=path, field=where)
    return {loc: str(text).strip() for loc, text in raw.items()}


def _question(raw: Mapping[str, Any], path: Path, where: str, survey: str, town: str | None,
              locales: tuple[str, ...], source: str) -> Question:
    qtype = raw["type"]
    choices: list[Choice] = []
    if qtype in CHOICE_TYPES and "choices" not in raw:
        raise SurveyError(_("a '{qtype}' question needs choices").format(qtype=qtype), path=path, field=where)
    if qtype not in CHOICE_TYPES and "choices" in raw:
        raise SurveyError(_("a '{qtype}' question has no choices; use type single or multiple").format(qtype=qtype), path=path,
                          field=f"{where}.choices")
    seen: set[str] = set()
    for j, c in enumerate(raw.get("choices") or []):
        cwhere = f"{where}.choices[{j}]"
        if c["id"] in seen:
            raise SurveyError(_("choice id '{id}' is used twice in this question").format(id=c['id']), path=path, field=cwhere)
        seen.add(c["id"])
        if qtype == "screening" and "score" not in c:
            raise SurveyError(_("every choice of a screening item needs a score"), path=path, field=cwhere)
        choices.append(Choice(c["id"], _wording(c["text"], path, f"{cwhere}.text", locales, source),
                              c.get("score"), tuple(c.get("topics") or ())))
    labels = {}
    for loc, values in (raw.get("labels") or {}).items():
        if qtype != "scale5":
            raise SurveyError(_("labels are for scale5 questions"), path=path, field=f"{where}.labels")
        if loc not in locales:
            raise SurveyError(_("locale '{loc}' is not in the workspace's locales").format(loc=loc), path=path, field=f"{where}.labels")
        labels[loc] = tuple(values)
    if "threshold" in raw and qtype != "screening":
        raise SurveyError(_("threshold is for screening items"), path=path, field=f"{where}.threshold")
    return Question(raw["id"], qtype, _wording(raw["text"], path, f"{where}.text", locales, source),
                    bool(raw.get("required", False)), tuple(choices), labels, tuple(raw.get("topics") or ()),
                    raw.get("threshold"), survey, town)


def survey_from_data(data: Any, path: Path, ws: Workspace, *, town: str | None = None) -> Survey:
    """Validate one questionnaire file (schema, then workspace rules)."""
    _schema_error(data, path)
    locales, source = tuple(ws.config.locales), ws.config.source_locale
    if town is None and "town" in data:
        raise SurveyError(_("the core questionnaire is national; put a town's questions in "
                          "{SURVEYS_DIR}/{TOWNS_SUBDIR}/{town}.yaml").format(SURVEYS_DIR=SURVEYS_DIR, TOWNS_SUBDIR=TOWNS_SUBDIR, town=data['town']), path=path, field="town")
    if town is not None:
        if data.get("town") != town:
            raise SurveyError(_("must say town: '{town}' (the file name)").format(town=town), path=path, field="town")
        if town not in ws.towns:
            raise SurveyError(_("town {town} has no file in towns/").format(town=town), path=path, field="town")
    questions: list[Question] = []
    ids: set[str] = set()
    for i, raw in enumerate(data["questions"]):
        q = _question(raw, path, f"questions[{i}]", data["id"], town, locales, source)
        if q.id in ids or q.id in SYSTEM_FIELDS:
            raise SurveyError(_("question id '{id}' is used twice (or is a system field)").format(id=q.id), path=path,
                              field=f"questions[{i}].id")
        if q.type == "screening":
            if town is None:
                raise SurveyError(_("screening items belong in a town's questions, asked only where the "
                                  "town's 保健師 follow the answers up; move it to surveys/towns/CODE.yaml"),
                                  path=path, field=f"questions[{i}]")
            if not data.get("follow_up"):
                raise SurveyError(_("a screening item needs follow_up: {by: the town's 保健師 desk, contact: ...}"),
                                  path=path, field=f"questions[{i}]")
        ids.add(q.id)
        questions.append(q)
    invitations = []
    for i, raw in enumerate(data.get("invitations") or []):
        where = f"invitations[{i}]"
        try:
            stage = Stage.parse(raw["stage"])
        except StageError as exc:
            raise SurveyError(exc.message, path=path, field=f"{where}.stage") from None
        mid = raw.get("message")
        if mid is not None:
            try:
                message = ws.message(mid)
            except WorkspaceError:
                raise SurveyError(_("no message '{mid}' in messages/; write the invitation as a message file").format(mid=mid),
                                  path=path, field=f"{where}.message") from None
            if message.stage != stage:
                raise SurveyError(_("message '{mid}' is sent at {stage}, not {stage2}").format(mid=mid, stage=message.stage, stage2=stage), path=path,
                                  field=f"{where}.message")
        invitations.append(Invitation(stage, mid))
    settings = Settings(**(data.get("settings") or {}))
    if town is not None and "settings" in data:
        raise SurveyError(_("settings are national; put them in surveys/core.yaml"), path=path, field="settings")
    follow = data.get("follow_up")
    if follow and "notice" in follow:
        follow = {**follow, "notice": _wording(follow["notice"], path, "follow_up.notice", locales, source)}
    return Survey(data["id"], tuple(questions),
                  _wording(data["title"], path, "title", locales, source) if "title" in data else {},
                  _wording(data["intro"], path, "intro", locales, source) if "intro" in data else {},
                  town, tuple(invitations), follow, settings, path)


def load_surveys(ws: Workspace) -> Surveys:
    """Every questionnaire of the workspace (none is fine: a workspace without surveys)."""
    folder = ws.root / SURVEYS_DIR
    core_path = folder / CORE_FILE
    core = survey_from_data(yamlio.read(core_path), core_path, ws) if core_path.is_file() else None
    towns: dict[str, Survey] = {}
    core_ids = {q.id for q in core.questions} if core else set()
    for path in sorted((folder / TOWNS_SUBDIR).glob("*.yaml")):
        code = path.stem
        if not code.isdigit() or len(code) != 6:
            raise SurveyError(_("a town's questionnaire is named by the 6-digit town code, like 202029.yaml"), path=path)
        survey = survey_from_data(yamlio.read(path), path, ws, town=code)
        clash = [q.id for q in survey.questions if q.id in core_ids]
        if clash:
            raise SurveyError(_("question id '{clash}' is already a core question; give the town's "
                              "question its own id").format(clash=clash[0]), path=path, field="questions")
        towns[code] = survey
    return Surveys(core, towns, tuple(ws.config.locales), ws.config.source_locale)
