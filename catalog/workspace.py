"""The workspace on disk: a folder of plain text files under version control.

Layout::

    kizuna.yaml          config: locales, cadence policies, settings of other packages
    messages/<id>.yaml   one file per national message, all its locales inside
    towns/<code>.yaml    one file per town (profile, local blocks, local messages)
    roster.yaml          reviewers and their roles
    (other packages add their files: milestones.yaml, decisions.jsonl, ...)

Loading validates everything and names the file and field of the first problem; saving is
stable (fixed key order, no wrapping) and atomic, so a one-word edit is a one-line diff.
"""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from kizuna.catalog import yamlio
from kizuna.catalog.cadence import BUILTIN_POLICIES, CadencePolicy, policy_from_data
from kizuna.catalog.errors import KizunaError, WorkspaceError
from kizuna.catalog.fields import ID_RE, LOCALE_RE, Fields
from kizuna.catalog.lock import LOCAL_DIR
from kizuna.catalog.limits import shorten
from kizuna.catalog.loadcache import cached_loader, remember_loader
from kizuna.catalog.messages import Message, message_from_data, message_to_data
from kizuna.catalog.safepaths import write_target
from kizuna.catalog.roster import Reviewer, roster_from_data, roster_to_data
from kizuna.catalog.stages import Stage
from kizuna.catalog.towns import Town, check_town_refs, town_from_data, town_to_data
from kizuna.catalog.tracks import SECTION as REGISTRANTS, Registrants, check_tracks, registrants_from_data
from kizuna.catalog.i18n import N_, _

CONFIG_FILE = "kizuna.yaml"
MESSAGES_DIR = "messages"
TOWNS_DIR = "towns"
ROSTER_FILE = "roster.yaml"
FORMAT_VERSION = 1
#: Generated views and exports are derived from the files: kept out of version control, so a
#: workspace stays clean (and its git commit names the catalog revision) after kizuna runs.
GITIGNORE = ("# derived from the workspace by kizuna (views, packets, exports)\nout/\n.ipynb_checkpoints/\n"
             "# local state: the write lock, caches, the workbook seal key (see docs)\n.kizuna/\n")
TOWN_CODE_RE = re.compile(r"^[0-9]{6}$")
CONFIG_FIELDS = {"kizuna", "title", "source_locale", "locales", "fallbacks", "policies", "checks", "review",
                 "exports", "plain_language", "registrants"}


@dataclass(frozen=True)
class Config:
    title: str = ""
    source_locale: str = "ja"
    locales: tuple[str, ...] = ("ja", "ja-easy", "en")
    #: locale -> locale whose text is sent when a message has no text in the first
    #: (``ja-easy: ja``); chains are followed, cycles are refused when loading
    fallbacks: Mapping[str, str] = field(default_factory=dict)
    policies: Mapping[str, CadencePolicy] = field(default_factory=lambda: dict(BUILTIN_POLICIES))
    #: sections owned by other packages (``checks``, ``review``, ``exports``), validated there
    sections: Mapping[str, Any] = field(default_factory=dict)
    #: locales written in plain language (やさしい日本語), held to the ``easy/*`` checks;
    #: ``None`` (the file does not say): every locale named ``*-easy``
    plain_language: tuple[str, ...] | None = None

    @property
    def plain_locales(self) -> tuple[str, ...]:
        """The plain-language locales: as ``plain_language:`` lists them, else the ``*-easy`` ones."""
        if self.plain_language is not None:
            return self.plain_language
        return tuple(loc for loc in self.locales if loc.endswith("-easy"))
    #: tracks, track events, age rules and registrant fields (``registrants:``, catalog.tracks)
    registrants: Registrants = field(default_factory=Registrants)
    #: the ``registrants:`` section as written (saved back unchanged)
    raw_registrants: Mapping[str, Any] = field(default_factory=dict)

    def locale_chain(self, locale: str) -> list[str]:
        """``locale`` followed by its fallbacks, in the order they are tried."""
        chain = [locale]
        while chain[-1] in self.fallbacks:
            chain.append(self.fallbacks[chain[-1]])
        return chain

    def text_locale(self, message: Message, locale: str) -> str | None:
        """The locale whose text ``message`` sends to ``locale`` readers (``locale`` itself,
        or a fallback), or ``None`` when it has no text for them."""
        for candidate in self.locale_chain(locale):
            if candidate in message.texts:
                return candidate
        return None

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.sections.get(name) or {}
        if not isinstance(value, Mapping):
            raise WorkspaceError(_("must be a mapping"), path=CONFIG_FILE, field=name)
        return value


def config_from_data(data: Any, path: str | Path) -> Config:
    f = Fields(data if data is not None else {}, path)
    f.refuse_unknown(CONFIG_FIELDS)
    version = f.data.get("kizuna", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise f.error("kizuna", _("workspace format {version} is not supported (this kizuna reads {FORMAT_VERSION})").format(version=shorten(version), FORMAT_VERSION=FORMAT_VERSION))
    locales = f.str_list("locales", pattern=LOCALE_RE, hint=N_("a locale like ja, ja-easy or en")) or ["ja"]
    source = f.str("source_locale", "ja", pattern=LOCALE_RE)
    if source not in locales:
        raise f.error("source_locale", _("'{source}' must be one of the locales ({locales})").format(source=source, locales=', '.join(locales)))
    fallbacks: dict[str, str] = {}
    for loc, target in f.mapping("fallbacks").items():
        if loc not in locales or target not in locales:
            raise f.error("fallbacks", _("'{loc}: {target}' names a locale that is not in locales "
                          "({locales})").format(loc=loc, target=target, locales=', '.join(locales)))
        fallbacks[str(loc)] = str(target)
    for loc in fallbacks:
        seen = [loc]
        while seen[-1] in fallbacks:
            nxt = fallbacks[seen[-1]]
            if nxt in seen:
                raise f.error("fallbacks", _("fallbacks go round in a circle: {value}").format(value=' -> '.join(seen + [nxt])))
            seen.append(nxt)
    policies = dict(BUILTIN_POLICIES)
    for name, raw in f.mapping("policies").items():
        try:
            policies[str(name)] = policy_from_data(str(name), raw)
        except KizunaError as exc:
            raise WorkspaceError(exc.message, path=path, field=exc.field) from None
    sections = {k: f.data[k] for k in ("checks", "review", "exports") if f.has(k)}
    for key, value in sections.items():
        if not isinstance(value, Mapping):
            raise f.error(key, _("must be a mapping"))
    plain: tuple[str, ...] | None = None
    if f.has("plain_language"):
        plain = tuple(f.str_list("plain_language", pattern=LOCALE_RE, hint=N_("a locale like ja-easy")))
        for loc in plain:
            if loc not in locales:
                raise f.error("plain_language", _("'{loc}' is not one of the locales ({locales})").format(loc=loc, locales=', '.join(locales)))
    registrants = registrants_from_data(f.data.get(REGISTRANTS), path)
    check_tracks(registrants, policies, path)
    return Config(f.str("title", ""), source, tuple(locales), fallbacks, policies, sections,
                  plain_language=plain, registrants=registrants, raw_registrants=dict(f.mapping(REGISTRANTS)))


def config_to_data(config: Config) -> dict[str, Any]:
    data: dict[str, Any] = {"kizuna": FORMAT_VERSION}
    if config.title:
        data["title"] = config.title
    data["source_locale"] = config.source_locale
    data["locales"] = list(config.locales)
    if config.fallbacks:
        data["fallbacks"] = dict(config.fallbacks)
    own = {n: p.to_data() for n, p in config.policies.items() if BUILTIN_POLICIES.get(n) is not p}
    if own:
        data["policies"] = own
    if config.plain_language is not None:
        data["plain_language"] = list(config.plain_language)
    data.update(config.sections)
    if config.raw_registrants:
        data[REGISTRANTS] = config.raw_registrants
    return data


def message_sort_key(message: Message) -> tuple[Any, ...]:
    return (message.stage.sort_key, message.id)


class MessageTable(dict):  # type: ignore[type-arg]
    """The national messages by id: a dict that counts its changes (``version``), so what is
    computed from the messages (their catalog order) is known to be current without comparing
    a thousand objects on every call."""

    version = 0  # (an instance attribute from the first change on)

    def _changed(self) -> None:
        self.version += 1

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self._changed()

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        self._changed()

    def __ior__(self, other: Any) -> "MessageTable":
        self.update(other)
        return self

    def pop(self, *args: Any) -> Any:
        self._changed()
        return super().pop(*args)

    def popitem(self) -> Any:
        self._changed()
        return super().popitem()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        self._changed()
        return super().setdefault(key, default)


@dataclass
class Workspace:
    """A loaded workspace. ``paths`` remembers the file each message and town came from."""

    root: Path
    config: Config
    messages: dict[str, Message]
    towns: dict[str, Town]
    reviewers: dict[str, Reviewer]
    paths: dict[str, Path] = field(default_factory=dict)
    #: the national messages in catalog order, with what it was computed from (the table and its
    #: version, or the identities of the messages when ``messages`` is a plain dict)
    _order: tuple[Any, Any, list[Message]] | None = field(default=None, repr=False, compare=False)
    #: what :meth:`town_messages` and :meth:`town_file` computed, per class of towns / per code
    _sends: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    _files: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    # queries ---------------------------------------------------------------------------------
    def national_in_order(self) -> list[Message]:
        """The national messages in catalog order (sorted once while the messages stay the same
        objects: messages are immutable, so the same objects have the same stages)."""
        table = self.messages
        version = table.version if isinstance(table, MessageTable) else tuple(map(id, table.values()))
        if self._order is None or self._order[0] is not table or self._order[1] != version:
            self._order = (table, version, sorted(table.values(), key=message_sort_key))
        return self._order[2]

    def policy(self, name: str) -> CadencePolicy:
        return self.config.policies[name]

    def town_slots(self, town: Town) -> list[Stage]:
        """The slots of the town's cadence up to its end age."""
        return self.policy(town.policy).expand(town.end_age)

    def sending_class(self, town: Town) -> tuple[Any, ...]:
        """A key equal for towns that send the same messages (:meth:`town_messages`): their
        suppressions, and the town itself when it has its own messages or a national message is
        dated (a dated message may name its towns)."""
        return self._sending_class(town, self.national_in_order())

    def _sending_class(self, town: Town, national: list[Message]) -> tuple[Any, ...]:
        dated = self._sends.get(("dated", id(national)))
        if dated is None or dated[0] is not national:
            dated = self._sends[("dated", id(national))] = (national, any(m.dated is not None for m in national))
        own = town.code if town.local_messages or dated[1] else None
        return (frozenset(town.suppress), own)

    def town_messages(self, town: Town, track: str | None = None) -> list[Message]:
        """What the town sends: national messages minus its suppressions, plus its own
        (``track``: only the staged messages of that track; ``None``: every message). Computed
        once per class of towns (:meth:`sending_class`) while the messages stay the same objects."""
        national = self.national_in_order()
        key = (self._sending_class(town, national), track)
        hit = self._sends.get(key)
        if hit is not None and hit[0] is national and (hit[1] is town.local_messages
                                                       or (not hit[1] and not town.local_messages)):
            return list(hit[2])
        found = self._town_messages(town, track)
        self._sends[key] = (national, town.local_messages, found)
        return list(found)

    def _town_messages(self, town: Town, track: str | None) -> list[Message]:
        suppressed = set(town.suppress)
        found = [m for m in self.national_in_order() if m.id not in suppressed]
        if town.local_messages:
            found = sorted(found + list(town.local_messages), key=message_sort_key)
        if track is not None:
            found = [m for m in found if m.track == track and m.dated is None]
        elif any(m.dated is not None and not m.dated.for_town(town.code) for m in found):
            found = [m for m in found if m.dated is None or m.dated.for_town(town.code)]
        return found

    def display_path(self, path: Path | str) -> str:
        """``path`` as findings and messages name it: relative to the workspace when inside it."""
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    def town_file(self, code: str) -> str:
        """The town's file as findings name it (``towns/202029.yaml``)."""
        key = (self.root, code)
        found = self._files.get(key)
        if found is None:
            found = self._files[key] = self.display_path(self.town_path(code))
        return found

    def message_file(self, message_id: str) -> str:
        """The message's file as findings name it (``messages/p12w-checkup.yaml``), worked out
        once per file the message is kept in."""
        kept = self.paths.get(f"message:{message_id}")
        found = self._files.get(("message", message_id))
        if found is None or found[0] is not kept:
            found = self._files[("message", message_id)] = (kept, self.display_path(self.message_path(message_id)))
        return found[1]

    def town(self, code: str) -> Town:
        if code not in self.towns:
            raise WorkspaceError(_("no town '{code}' in this workspace; towns: {value}").format(code=code, value=', '.join(self.towns) or 'none'),
                                 path=self.root / TOWNS_DIR)
        return self.towns[code]

    def message(self, message_id: str) -> Message:
        if message_id in self.messages:
            return self.messages[message_id]
        for town in self.towns.values():
            for m in town.local_messages:
                if m.id == message_id:
                    return m
        raise WorkspaceError(_("no message '{message_id}' in this workspace").format(message_id=message_id), path=self.root / MESSAGES_DIR)

    def message_path(self, message_id: str) -> Path:
        """``messages/<id>.yaml``; an id that is not a message id (it may come from a file a person
        edited) is refused before it becomes a path."""
        if not isinstance(message_id, str) or not ID_RE.match(message_id):
            raise WorkspaceError(_("{short} is not a message id (lowercase letters, digits "
                                 "and hyphens); refused as a file name").format(short=_short(message_id)), path=self.root / MESSAGES_DIR)
        return self.paths.get(f"message:{message_id}", self.root / MESSAGES_DIR / f"{message_id}.yaml")

    def town_path(self, code: str) -> Path:
        """``towns/<code>.yaml``; a code that is not six digits is refused before it becomes a path."""
        if not isinstance(code, str) or not TOWN_CODE_RE.match(code):
            raise WorkspaceError(_("{short} is not a municipality code (six digits); refused as a "
                                 "file name").format(short=_short(code)), path=self.root / TOWNS_DIR)
        return self.paths.get(f"town:{code}", self.root / TOWNS_DIR / f"{code}.yaml")

    def _target(self, path: Path) -> Path:
        return write_target(self.root, path)

    def reload(self) -> None:
        """Read every file again (say, once the workspace lock is held: what another command wrote
        meanwhile is what a merge must be judged against)."""
        fresh = load_workspace(self.root)
        self.config, self.messages, self.towns = fresh.config, fresh.messages, fresh.towns
        self.reviewers, self.paths = fresh.reviewers, fresh.paths

    # saving ------------------------------------------------------------------------------------
    def save_message(self, message: Message) -> Path:
        """Write one national message file (and keep it in memory)."""
        if message.town is not None:
            raise WorkspaceError(_("a local message is saved with its town"), field=message.id)
        path = self._target(self.message_path(message.id))
        yamlio.write(path, message_to_data(message))
        self.messages[message.id] = message
        self.paths[f"message:{message.id}"] = path
        return path

    def delete_message(self, message_id: str) -> None:
        path = self._target(self.message_path(message_id))
        path.unlink(missing_ok=True)
        self.messages.pop(message_id, None)
        self.paths.pop(f"message:{message_id}", None)

    def save_town(self, town: Town) -> Path:
        path = self._target(self.town_path(town.code))
        yamlio.write(path, town_to_data(town, self.config.source_locale))
        self.towns[town.code] = town
        self.paths[f"town:{town.code}"] = path
        return path

    def save_config(self) -> Path:
        path = self._target(self.root / CONFIG_FILE)
        yamlio.write(path, config_to_data(self.config))
        return path

    def save_roster(self) -> Path:
        path = self._target(self.root / ROSTER_FILE)
        yamlio.write(path, roster_to_data(self.reviewers))
        return path

    def save_all(self) -> None:
        self.save_config()
        self.save_roster()
        for m in self.messages.values():
            self.save_message(m)
        for t in self.towns.values():
            self.save_town(t)


def check_message_track(message: Message, config: Config, path: Path, prefix: str = "") -> None:
    """A message's track must be declared under ``registrants.tracks`` in ``kizuna.yaml``."""
    tracks = config.registrants.tracks
    if message.track not in tracks:
        raise WorkspaceError(_("'{track}' is not a track of {CONFIG_FILE} (registrants.tracks: "
                             "{tracks})").format(track=message.track, CONFIG_FILE=CONFIG_FILE, tracks=', '.join(tracks)), path=path, field=f"{prefix}track")


def check_dated_towns(message: Message, towns: Mapping[str, Town], path: Path) -> None:
    """An urgent notice goes to towns of this workspace."""
    if message.dated is None:
        return
    for i, code in enumerate(message.dated.towns):
        if code not in towns:
            raise WorkspaceError(_("town {code} has no file in {TOWNS_DIR}/; towns: {value}").format(code=code, TOWNS_DIR=TOWNS_DIR, value=', '.join(towns) or 'none'),
                                 path=path, field=f"dated.towns[{i}]")


def _short(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:60] + "…")


def _workspace_files(root: Path, folder: str) -> list[Path]:
    """The ``*.yaml`` files of ``messages/`` or ``towns/``; a folder named so is an error."""
    found = []
    for path in sorted((root / folder).glob("*.yaml")):
        if not path.is_file():
            raise WorkspaceError(_("is a folder, not a file; {folder}/ holds one YAML file per "
                                 "{value}").format(folder=folder, value=_('message') if folder == MESSAGES_DIR else _('town')), path=path)
        found.append(path)
    return found


def _name_matches(path: Path, key: str, what: str) -> None:
    if path.stem != key:
        raise WorkspaceError(_("holds {what} '{key}' but is named {name}; a file is named after "
                             "its {what}: rename it to {key}.yaml").format(what=_(what), key=key, name=path.name), path=path,
                             field="id" if what == "message id" else "code")


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``kizuna.yaml`` (as git finds .git)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise WorkspaceError(_("no {CONFIG_FILE} here or in any parent folder; run 'kizuna init DIR' "
                         "or pass --workspace DIR").format(CONFIG_FILE=CONFIG_FILE), path=start)


def load_workspace(root: Path) -> Workspace:
    """Load and validate a whole workspace; the first problem raises ``WorkspaceError``."""
    root = Path(root)
    config_path = root / CONFIG_FILE
    if not config_path.is_file():
        raise WorkspaceError(_("not a kizuna workspace: {CONFIG_FILE} is missing").format(CONFIG_FILE=CONFIG_FILE), path=root)
    config = config_from_data(yamlio.read(config_path), config_path)
    files = cached_loader(root, config.source_locale)  # unchanged files come validated from .kizuna/cache/
    messages: dict[str, Message] = {}
    paths: dict[str, Path] = {}
    for path in _workspace_files(root, MESSAGES_DIR):
        message = files.load(path, "message", lambda path=path: message_from_data(yamlio.read(path), path))
        if message.id in messages:
            raise WorkspaceError(_("duplicate message id '{id}', also in {paths}").format(id=message.id, paths=paths['message:' + message.id]),
                                 path=path, field="id")
        check_message_track(message, config, path)
        for locale in message.texts:
            if locale not in config.locales:
                raise WorkspaceError(_("locale '{locale}' is not in the workspace's locales "
                                     "({locales}) in {CONFIG_FILE}").format(locale=locale, locales=', '.join(config.locales), CONFIG_FILE=CONFIG_FILE), path=path,
                                     field=f"texts.{locale}")
        _name_matches(path, message.id, N_("message id"))
        messages[message.id] = message
        paths[f"message:{message.id}"] = path
    towns: dict[str, Town] = {}
    local_ids: dict[str, Path] = {}
    for path in _workspace_files(root, TOWNS_DIR):
        town = files.load(path, "town", lambda path=path: town_from_data(yamlio.read(path), path, config.source_locale))
        if town.code in towns:
            raise WorkspaceError(_("town {code} is defined twice, also in {paths}").format(code=town.code, paths=paths['town:' + town.code]),
                                 path=path, field="code")
        _name_matches(path, town.code, N_("municipality code"))
        check_town_refs(town, path, policies=set(config.policies), locales=set(config.locales),
                        message_ids=set(messages))
        for i, local in enumerate(town.local_messages):
            check_message_track(local, config, path, f"local_messages[{i}].")
            if local.id in messages or local.id in local_ids:
                other = paths.get(f"message:{local.id}", local_ids.get(local.id))
                raise WorkspaceError(_("duplicate message id '{id}', also in {other}").format(id=local.id, other=other),
                                     path=path, field=f"local_messages[{i}].id")
            local_ids[local.id] = path
        towns[town.code] = town
        paths[f"town:{town.code}"] = path
    for message in messages.values():
        check_dated_towns(message, towns, paths[f"message:{message.id}"])
    roster_path = root / ROSTER_FILE
    reviewers = roster_from_data(yamlio.read(roster_path), roster_path) if roster_path.is_file() else {}
    for r in reviewers.values():
        for code in r.towns:
            if code not in towns:
                raise WorkspaceError(_("reviewer '{id}' edits town {code}, which has no file in {TOWNS_DIR}/").format(id=r.id, code=code, TOWNS_DIR=TOWNS_DIR),
                                     path=roster_path, field="towns")
    remember_loader(root, files)  # written by commands that may write local state (save_loader)
    ordered = dict(sorted(messages.items(), key=lambda kv: message_sort_key(kv[1])))
    return Workspace(root, config, MessageTable(ordered), dict(sorted(towns.items())), reviewers, paths)


def is_empty_folder(root: Path) -> bool:
    """True when ``root`` is missing or holds nothing but kizuna's local state (``.kizuna/``)."""
    root = Path(root)
    if not root.exists():
        return True
    if not root.is_dir():
        return False
    return all(p.name == LOCAL_DIR for p in root.iterdir())


def check_new_workspace(root: Path) -> None:
    """Refuse to make a workspace in ``root`` unless it is a new or empty folder (nothing written)."""
    root = Path(root)
    if (root / CONFIG_FILE).exists():
        raise WorkspaceError(_("{CONFIG_FILE} already exists; this is already a workspace").format(CONFIG_FILE=CONFIG_FILE), path=root)
    if root.exists() and not root.is_dir():
        raise WorkspaceError(_("is a file; choose a new or empty folder"), path=root)
    if not is_empty_folder(root):
        raise WorkspaceError(_("the folder is not empty; choose a new or empty folder"), path=root)


def init_workspace(root: Path, *, title: str = "", git: bool = True) -> Workspace:
    """Create an empty workspace that loads, and make it a git repository."""
    root = Path(root)
    check_new_workspace(root)
    (root / MESSAGES_DIR).mkdir(parents=True, exist_ok=True)
    (root / TOWNS_DIR).mkdir(exist_ok=True)
    for folder in (MESSAGES_DIR, TOWNS_DIR):
        (root / folder / ".gitkeep").touch()
    ws = Workspace(root, Config(title=title), {}, {}, {})
    ws.save_config()
    yamlio.write(root / ROSTER_FILE, {"reviewers": []})
    write_gitignore(root)
    if git:
        git_init(root)
    return load_workspace(root)


def write_gitignore(root: Path) -> None:
    """Give the workspace its ``.gitignore`` (derived output stays out of version control)."""
    path = root / ".gitignore"
    if not path.exists():
        yamlio.write_atomic(path, GITIGNORE)


def git_init(root: Path) -> bool:
    """``git init`` the workspace; returns False (and leaves the files) when git is missing."""
    try:
        subprocess.run(["git", "init", "-q", str(root)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        return False
    return True
