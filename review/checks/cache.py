"""A local cache of check findings, so a run after a small edit redoes only what the edit touched.

The cache lives in ``<workspace>/.kizuna/cache/checks.pickle`` (local state: never committed,
safe to delete at any time; the next run rebuilds it). Each entry is keyed by a SHA-256 of
everything its findings depend on:

* the *environment*: the kizuna version and a fingerprint of its installed code, the language
  the findings are written in and its compiled catalog (:func:`review.findings.language_key`: a
  run in English after one in Japanese must not show the Japanese findings; both stay cached as
  two kinds of run), the bytes of
  ``kizuna.yaml`` (rules, levels, options, locales, fallbacks, policies, e-mail subjects), the
  bytes of every file a rule option names (word lists), and the towns in scope;
* for the findings of one message in one locale: the message itself (stage, every text, topics,
  milestones, ignores) and its file;
* for the workspace rules (coverage, town blocks): what coverage reads of every message
  (id, stage, every text and its source hash, milestones, ignores, track, dated window, file),
  ``milestones.yaml``, the sign-off log (what ships decides coverage) and the locales asked for.

So one edited text re-checks that message (in each locale) and nothing else; an edited town
profile re-checks everything (every message is rendered for every town); a changed rule
setting or a new kizuna version starts afresh. Entries not used by a run are dropped when the
run writes the cache back (only when something was computed).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import time
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from kizuna.catalog.loadcache import save_pickle
from kizuna.catalog.safepaths import write_target
from kizuna.review.checks.syllables import open_store, save_store
from kizuna.review.findings import Finding, language_key

_FIELDS = tuple(f.name for f in fields(Finding))


def _pack(finding: Finding) -> tuple[Any, ...]:
    """A finding as a plain tuple (a tenth of the time to store and read back)."""
    return tuple(map(finding.__dict__.__getitem__, _FIELDS))

CACHE_DIR = Path(".kizuna") / "cache"
CACHE_FILE = "checks.pickle"
#: bump when the layout of the cache file changes
CACHE_FORMAT = 3
#: entries whose key starts so are links, ``[key, valid until]``, not findings
LINK = "link:"
#: how many kinds of run (whole workspace, one town, coverage only...) the file keeps
KEEP_RUNS = 4


#: types whose ``repr`` is the same in every process
_PLAIN = frozenset({str, int, float, bool, bytes, type(None)})
#: the field names of each dataclass met (``dataclasses.fields`` is slow to ask every time)
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def stable_repr(value: Any) -> str:
    """``repr(value)`` that is the same in every process: sets are written sorted (the order of
    a set of text changes with Python's hash seed, so a plain ``repr`` made every key of a run
    differ from the last run's); dataclasses, mappings and sequences are walked."""
    kind = type(value)
    if kind in _PLAIN:  # the common cases first, without the (slow) abstract-class checks below
        return repr(value)
    if kind is tuple or kind is list:
        return ("[" if kind is list else "(") + ", ".join(map(stable_repr, value)) + ")"
    if kind is dict:
        return "{" + ", ".join(f"{stable_repr(k)}: {stable_repr(v)}" for k, v in value.items()) + "}"
    names = _FIELD_NAMES.get(kind)
    if names is not None:  # a dataclass seen before
        return kind.__qualname__ + "(" + ", ".join(f"{n}={stable_repr(getattr(value, n))}" for n in names) + ")"
    if value is None or isinstance(value, (str, bytes, int, float, bool)):
        return repr(value)
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(stable_repr(v) for v in value)) + "}"
    if isinstance(value, (list, tuple)):
        return ("[" if isinstance(value, list) else "(") + ", ".join(stable_repr(v) for v in value) + ")"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{stable_repr(k)}: {stable_repr(v)}" for k, v in value.items()) + "}"
    if is_dataclass(value) and not isinstance(value, type):
        _FIELD_NAMES[kind] = tuple(f.name for f in fields(value))
        return stable_repr(value)
    return repr(value)


def _digest(*parts: Any) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else stable_repr(part).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


def code_fingerprint() -> str:
    """The kizuna version and the size and modification time of every module of the installed
    code (an editable install changes code without changing the version)."""
    from kizuna import __version__

    import kizuna

    roots = [Path(p) for p in getattr(kizuna, "__path__", [])]
    roots += [Path(p) for name in ("catalog", "review") for p in getattr(__import__(f"kizuna.{name}",
                                                                                     fromlist=["x"]), "__path__", [])]
    stats = []
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            st = path.stat()
            stats.append((str(path), st.st_size, st.st_mtime_ns))
    return _digest(__version__, stats)


def _option_files(root: Path, settings: Mapping[str, Any]) -> list[tuple[str, bytes]]:
    """Files under the workspace that rule options name (word lists), with their bytes."""
    found = []
    for rule_id in sorted(settings):
        for value in _strings(settings[rule_id].options):
            path = root / value
            try:
                if len(value) < 256 and path.is_file():
                    found.append((value, path.read_bytes()))
            except (OSError, ValueError):
                continue
    return found


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


@dataclass
class FindingsCache:
    """The cached findings of one workspace, for one run (see the module docstring)."""

    root: Path
    environment: str
    entries: dict[str, list[Any]] = field(default_factory=dict)
    used: dict[str, list[Any]] = field(default_factory=dict)
    computed: int = 0
    reused: int = 0
    #: whether a link (:meth:`ships_key`) was added
    changed: bool = False
    #: a run over part of the workspace keeps the entries it did not use
    partial: bool = False
    #: the entries of other kinds of run (another town selection, coverage), most recent first
    others: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.root / CACHE_DIR / CACHE_FILE

    def message_key(self, message: Any, locale: str, path: str, source_locale: str | None = None) -> str:
        """The key of the findings of ``message`` in ``locale``: the message with only the texts
        those rules read (``locale``'s and, given ``source_locale``, the source text a
        translation is checked against), so an edit of one locale's text redoes that locale."""
        if source_locale is not None:
            kept = {loc: t for loc, t in message.texts.items() if loc in (locale, source_locale)}
            if len(kept) != len(message.texts):
                message = replace(message, texts=kept)
        return _digest("message", self.environment, message, locale, path)

    def workspace_key(self, ws: Any, locales: Any, paths: Callable[[Any], str]) -> str:
        # what ships decides coverage (review.selection): every text, its source hash and the
        # sign-off log count, as do tracks and dated windows
        projection = [(m.id, m.stage, tuple((loc, t.text, t.source_hash) for loc, t in sorted(m.texts.items())),
                       m.milestones, m.ignores, m.town, m.track, m.dated, paths(m), m.topics)
                      for m in ws.messages.values()]
        return _digest("workspace", self.environment, projection, locales,
                       _read(Path(ws.root) / "milestones.yaml"), _read(Path(ws.root) / "decisions.jsonl"))

    def group_key(self, kind: str, ws: Any, locales: Any, paths: Callable[[Any], str]) -> str:
        """The key of the findings of the workspace rules that read ``kind`` (see
        :func:`rule_inputs`): each kind is keyed on just what its rules read."""
        if kind == TOWNS:  # the towns and the settings: in the environment already
            return _digest("towns", self.environment, locales)
        if kind == FIELDS:
            return _digest("fields", self.environment, locales, fields_projection(ws))
        if kind == SHIPS:
            return _digest("ships", self.environment, locales, ship_projection(ws, paths),
                           _read(Path(ws.root) / "milestones.yaml"))
        return self.workspace_key(ws, locales, paths)

    def quick_key(self, ws: Any, locales: Any, paths: Callable[[Any], str]) -> str:
        """A key over everything what ships can depend on (every text, the decisions log, the
        roster, the settings), cheap to compute: when it is the last run's and no approval has
        expired since, what ships is what it was, without deriving the sign-off status again."""
        return _digest("quick", self.workspace_key(ws, locales, paths), _read(Path(ws.root) / "roster.yaml"))

    def ships_key(self, ws: Any, locales: Any, paths: Callable[[Any], str]) -> str:
        """:meth:`group_key` of :data:`SHIPS`, through the last run's link from the
        :meth:`quick_key` when that still holds (no sign-off status to derive)."""
        quick = LINK + self.quick_key(ws, locales, paths)
        link = self.entries.get(quick)
        if link is not None and link[0] in self.entries and (link[1] is None or time.time() < link[1]):
            self.used[quick] = link
            return link[0]
        key = self.group_key(SHIPS, ws, locales, paths)
        self.used[quick] = [key, ships_valid_until(ws)]
        self.changed = True
        return key

    def get(self, key: str, compute: Callable[[], list[Any]]) -> list[Any]:
        """The cached findings of ``key``, or ``compute()``'s (remembered)."""
        stored = self.entries.get(key)
        if stored is None:
            found = compute()
            stored = [_pack(f) for f in found]
            self.computed += 1
        else:
            found = [Finding.from_row(row) for row in stored]
            self.reused += 1
        self.used[key] = stored
        return found

    def save(self) -> None:
        """Write what this run used back (atomically; only when something was computed)."""
        save_store(self.root)  # the English words newly looked up in CMUdict
        if not self.computed and not self.changed:
            return
        runs = {self.environment: {**self.entries, **self.used} if self.partial else self.used}
        for env, entries in self.others.items():  # the other recent kinds of run (--town, coverage)
            if len(runs) >= KEEP_RUNS:
                break
            runs.setdefault(env, entries)
        save_pickle(self.root, CACHE_DIR / CACHE_FILE, {"format": CACHE_FORMAT, "runs": runs})


# --- what workspace rules read ----------------------------------------------------------------------

#: the workspace rules read only the towns (in the environment) and the settings
TOWNS = "towns"
#: ... which ``town.*`` fields the texts each town sends print (``town/locale-text``)
FIELDS = "fields"
#: ... which messages ship in each slot: ids, stages, tracks, milestones, topics, the locales
#: with a text and what ships for the readers of each locale (:func:`ship_projection`)
SHIPS = "ships"
#: ... every text (the default for a rule not listed: always safe)
TEXTS = "texts"

#: what each workspace rule reads (rules not listed, and new ones, read :data:`TEXTS`)
WORKSPACE_INPUTS: dict[str, str] = {
    **{f"coverage/{name}": SHIPS for name in ("gap", "collision", "fallback", "off-cadence", "milestone",
                                                "track", "checkup-months", "legal-window")},
    "town/locale-text": FIELDS,
    **{f"easy/{name}": TOWNS for name in ("sentence-length", "double-negative", "honorific",
                                            "passive-causative", "hard-word", "loanword", "onomatopoeia",
                                            "notation", "directive")},
    "template/variables": TOWNS,  # the towns' blocks
}


def rule_inputs(rule_id: str) -> str:
    """What the workspace rule ``rule_id`` reads (one of :data:`TOWNS`, :data:`FIELDS`,
    :data:`SHIPS`, :data:`TEXTS`)."""
    return WORKSPACE_INPUTS.get(rule_id, TEXTS)


def _all_messages(ws: Any) -> list[Any]:
    return list(ws.messages.values()) + [m for t in ws.towns.values() for m in t.local_messages]


def ship_projection(ws: Any, paths: Callable[[Any], str]) -> list[Any]:
    """What coverage reads of every message, without its texts: id, stage, track, dated window,
    milestones, topics, ignores, town, file, the locales it has a text in, and for the readers
    of each locale of the workspace what ships (:func:`review.selection.select_text`: the
    locale that ships, the first with a text, the candidates passed over and why). An edit
    of a text changes it only when it changes what ships (an approved text that loses its
    sign-off); an edit of a draft does not change it."""
    from kizuna.review.selection import select_text, workspace_approved

    approved = workspace_approved(ws)
    config = ws.config
    chains = [(loc, config.locale_chain(loc)) for loc in config.locales]
    source = config.source_locale
    return [(m.id, m.stage, m.track, m.dated, m.milestones, m.topics, m.ignores, m.town, paths(m),
             tuple(sorted(m.texts)),
             tuple(select_text(m, chain, source, approved) for _, chain in chains))
            for m in _all_messages(ws)]


def ships_valid_until(ws: Any) -> float | None:
    """The moment (a timestamp) the first approval of the workspace expires: until then, what
    ships changes only when an input does (``None``: no approval to expire)."""
    from kizuna.review.selection import workspace_states

    moments = [s.expires_at.timestamp() for s in workspace_states(ws).values()
               if s.state == "approved" and s.expires_at is not None]
    return min(moments) if moments else None


def fields_projection(ws: Any) -> list[Any]:
    """What ``town/locale-text`` reads of every message: id, town, dated window, track and the
    ``town.contacts.*`` / ``town.services.*`` fields each locale's text prints."""
    from kizuna.review.checks.towns import _fields_used

    return [(m.id, m.town, m.dated, m.track,
             tuple((loc, tuple(sorted(_fields_used([t.text])))) for loc, t in sorted(m.texts.items())))
            for m in _all_messages(ws)]


#: workspace files some rules read without an option naming them (safety topics, the plain-
#: language glossary, the term and word lists)
CONVENTION_FILES = ("safety.yaml", "easy_glossary.yaml", "terms.yaml", "wordlist.yaml")


def open_cache(ws: Any, config: Any, towns: Iterable[Any], *, partial: bool = False) -> FindingsCache:
    """The cache of ``ws`` for a run with ``config`` over ``towns``; an unreadable, foreign or
    outdated cache file counts as empty (it is only ever a shortcut). A ``partial`` run (some
    messages only) keeps the entries it did not use."""
    root = Path(ws.root)
    environment = _digest(CACHE_FORMAT, code_fingerprint(), language_key(), _read(root / "kizuna.yaml"),
                          sorted((k, v.enabled, v.level, repr(v.options)) for k, v in config.settings.items()),
                          _option_files(root, config.settings), ws.config, list(towns),
                          # files rules read by convention at the workspace root
                          *(_read(root / name) for name in CONVENTION_FILES))
    cache = FindingsCache(root, environment, partial=partial)
    open_store(root)  # the English words looked up in CMUdict before (review.checks.syllables)
    try:
        data = _load(cache.path)
        if isinstance(data, dict) and data.get("format") == CACHE_FORMAT:
            runs = data["runs"]
            cache.entries = runs.get(environment, {})
            cache.others = {env: entries for env, entries in runs.items() if env != environment}
    except Exception:  # noqa: BLE001 - a missing or broken cache is an empty one
        pass
    return cache


#: the last cache file read in this process, with its stamp (an import checks twice: before and after)
_LOADED: dict[Path, tuple[Any, Any]] = {}


def _load(path: Path) -> Any:
    st = os.stat(path)
    stamp = (st.st_size, st.st_mtime_ns, st.st_ino)
    hit = _LOADED.get(path)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    with open(path, "rb") as handle:
        data = pickle.load(handle)
    _LOADED.clear()
    _LOADED[path] = (stamp, data)
    return data


def clear_cache(root: Path) -> None:
    """Forget every cached finding of the workspace at ``root``."""
    path = write_target(Path(root), Path(root) / CACHE_DIR / CACHE_FILE)
    path.unlink(missing_ok=True)
