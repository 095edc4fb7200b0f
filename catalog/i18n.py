"""The language kizuna speaks to people, and the translated text of what it says.

Every sentence a writer, reviewer or town editor can meet (errors, findings, command help) is
written in English in the code and marked for translation:

* ``_("text {name}").format(name=...)`` translates now (fields in braces, never ``%`` or
  f-strings, so a translator can move them);
* ``N_("text")`` only marks a constant that is translated later with ``_(constant)``.

Babel extracts the marked text into ``catalog/locale/kizuna.pot``; the Japanese catalog is
``catalog/locale/ja/LC_MESSAGES/kizuna.po``, compiled to ``kizuna.mo`` next to it (``make
messages`` does all three; a test fails when a marked text has no Japanese or the ``.mo`` is stale).

The language: ``KIZUNA_LANG`` (``ja`` or ``en``) when set, else the first of ``LANGUAGE``,
``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set and not empty: Japanese (``ja``,
``ja_JP.UTF-8``) gives ``ja``, anything else ``en``. ``kizuna --lang`` overrides both.
"""
from __future__ import annotations

import gettext
import os
from functools import lru_cache
from pathlib import Path
from typing import Callable

#: The gettext domain and where its compiled catalogs live.
DOMAIN = "kizuna"
LOCALE_DIR = Path(__file__).with_name("locale")

#: Languages kizuna has text for; English is the text in the code.
LANGUAGES = ("ja", "en")

_chosen: str | None = None


def language_from_environment(environ: dict[str, str] | os._Environ[str] | None = None) -> str:
    """``ja`` or ``en`` from ``KIZUNA_LANG`` or the POSIX locale variables (see the module doc)."""
    env = os.environ if environ is None else environ
    explicit = (env.get("KIZUNA_LANG") or "").strip().lower()
    if explicit:
        return "ja" if explicit.startswith("ja") else "en"
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(name) or "").strip()
        if value:
            first = value.split(":")[0].lower()
            return "ja" if first.startswith("ja") else "en"
    return "en"


def set_language(language: str | None) -> None:
    """Speak ``language`` (``ja``/``en``) from now on; ``None`` goes back to the environment's."""
    global _chosen
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; kizuna speaks {', '.join(LANGUAGES)}")
    _chosen = language


#: the variables the language comes from, in order (see :func:`language_from_environment`)
_VARIABLES = ("KIZUNA_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
#: the language of each combination of those variables seen (reading ``os.environ`` five times
#: for each translated text was a tenth of a national ``kizuna check``)
_BY_VALUES: dict[tuple[object, ...], str] = {}
_encode = getattr(os.environ, "encodekey", None)
_KEYS = tuple(map(_encode, _VARIABLES)) if _encode is not None else None


def current_language() -> str:
    """The language text is translated into right now."""
    if _chosen:
        return _chosen
    raw = getattr(os.environ, "_data", None)  # the encoded variables behind os.environ
    if not isinstance(raw, dict) or _KEYS is None:
        return language_from_environment()
    values = tuple(map(raw.get, _KEYS))
    found = _BY_VALUES.get(values)
    if found is None:
        if len(_BY_VALUES) > 64:
            _BY_VALUES.clear()
        found = _BY_VALUES[values] = language_from_environment()
    return found


@lru_cache(maxsize=None)
def _catalog(domain: str, language: str) -> gettext.NullTranslations:
    """The compiled catalog of ``domain`` in ``language`` (English is the text in the code)."""
    if language == "en":
        return gettext.NullTranslations()
    return gettext.translation(domain, localedir=str(LOCALE_DIR), languages=[language], fallback=True)


def speaking(domain: str) -> tuple[Callable[[str], str], Callable[[str, str, int], str]]:
    """``(gettext, ngettext)`` of ``domain`` that look the text up in the current language at each
    call (itself, or the singular/plural for ``n``, when the catalog has no translation)."""

    def translate(message: str) -> str:
        return _catalog(domain, current_language()).gettext(message)

    def translate_plural(singular: str, plural: str, n: int) -> str:
        return _catalog(domain, current_language()).ngettext(singular, plural, n)

    return translate, translate_plural


#: ``_("text")``: kizuna's text in the current language; ``ngettext(singular, plural, n)``
_, ngettext = speaking(DOMAIN)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it (translate later with ``_()``)."""
    return message


# --- click's own messages --------------------------------------------------------------------------
#: The catalog of click's own text (``Usage:``, ``No such option``, ``Missing argument`` …).
CLICK_DOMAIN = "click"

#: The click modules that translate their text; each imports ``gettext`` and ``ngettext`` by name.
_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils",
                  "shell_completion", "_termui_impl")


#: click's own texts (and singular/plural texts) in the current language
click_gettext, click_ngettext = speaking(CLICK_DOMAIN)


def translate_click() -> None:
    """Let click's own messages (usage errors, ``Usage:``, ``Try … for help.``) speak kizuna's
    language.

    click marks its text with the standard library's ``gettext``/``ngettext`` in the global
    ``messages`` domain, whose language follows only the POSIX locale (not ``KIZUNA_LANG`` or
    ``--lang``). Each click module imported those two functions by name; this points the names
    at kizuna's ``click`` catalog instead (``catalog/locale/ja/LC_MESSAGES/click.po``). Only the
    stdlib functions are replaced, so calling it twice, or on a click that changed, is harmless;
    in English the text is click's own. click.Path's type name (``File``, ``Directory``), which
    click translates once when an option is declared, is translated when it is shown instead."""
    import importlib  # noqa: PLC0415

    for name in _CLICK_MODULES:
        try:
            module = importlib.import_module(f"click.{name}")
        except ImportError:  # e.g. a module only some platforms or versions have
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module._ = click_gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = click_ngettext  # type: ignore[attr-defined]
    _translate_path_type_name()


#: click.Path's type names (``File 'x' is a directory.``), its own text
_PATH_NAMES = ("file", "directory", "path")


def _english_path_name(value: str) -> str:
    """The English name behind ``value``, a click.Path type name in any language kizuna speaks
    (click translated it when the option was declared); an unknown name stays as it is."""
    for english in _PATH_NAMES:
        if value == english or any(value == _catalog(CLICK_DOMAIN, language).gettext(english) for language in LANGUAGES):
            return english
    return value


class _PathTypeName:
    """``click.types.Path.name``, translated each time it is read: click sets it once, in the
    current language, when an option is declared (at import, before ``--lang`` is read), and
    puts it in its errors (``File 'x' is a directory.``) later."""

    def __get__(self, obj: object, owner: type | None = None) -> object:
        if obj is None:
            return self
        english = obj.__dict__.get("_kizuna_name") or _english_path_name(obj.__dict__.get("name", "path"))
        return click_gettext(english)

    def __set__(self, obj: object, value: str) -> None:
        obj.__dict__["_kizuna_name"] = _english_path_name(value)


def _path_metavar(self: object, *args: object, **kwargs: object) -> str:
    """A path option's placeholder in help (``--out DIRECTORY``), in English like ``TEXT``."""
    return str(self.__dict__.get("_kizuna_name") or _english_path_name(self.__dict__.get("name", "path"))).upper()


def _translate_path_type_name() -> None:
    """Make click.Path's type name follow the current language (:class:`_PathTypeName`) and keep
    its help placeholder English (as click's other types' ``TEXT``, ``INTEGER``)."""
    from click import types  # noqa: PLC0415

    if isinstance(types.Path.__dict__.get("name"), _PathTypeName):
        return
    types.Path.name = _PathTypeName()  # type: ignore[assignment]
    if "get_metavar" not in types.Path.__dict__:  # click's own Path leaves it to the type's name
        types.Path.get_metavar = _path_metavar  # type: ignore[method-assign]
