"""The contents-manager side of town notebooks (:mod:`kizuna.lab.towns`): ``notebooks/towns/``.

Mixed into :class:`kizuna.lab.contents.KizunaContentsManager`, which hands it every path under
``notebooks/towns``. Only ``<code>.ipynb`` for a municipality code of the workspace is served; the
name is matched against that grammar and the workspace's towns before it names anything. Saving
reads the workspace again under the workspace lock, merges unit by unit against
``towns/<code>.yaml`` as it is then, validates the result as ``kizuna check`` loads it, and writes it
with the workspace's own writer (through ``write_target``). A problem or a conflict is a save error
JupyterLab shows in its dialog; nothing is written then.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
from tornado import web

from kizuna.catalog.errors import KizunaError
from kizuna.catalog.i18n import _
from kizuna.catalog.lock import workspace_lock
from kizuna.catalog.templating import render, stage_context
from kizuna.catalog.towns import Town, check_town_refs, town_from_data, town_to_data
from kizuna.catalog.workspace import TOWNS_DIR, Workspace
from kizuna.lab.towns import (FOLDER, NAME, TownNotebookNotFound, build_town_notebook, conflict_message,
                              describe_unit, merge_units, parse_town_view, read_town_notebook,
                              town_findings, town_units, town_with_units, view_path)


def _refused(text: str, status: int = 400) -> web.HTTPError:
    # Jupyter Server sends ``log_message`` unformatted as the message JupyterLab shows (a "%s"
    # format would show as "%s"), and tornado formats it for its log: no '%' may remain in it
    return web.HTTPError(status, text.replace("%", "％"))


def _stamp(path: Path) -> datetime:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    except OSError:
        return datetime.fromtimestamp(0, tz=timezone.utc)


def is_town_path(path: str) -> bool:
    path = path.strip("/")
    return path == FOLDER or path.startswith(FOLDER + "/")


class TownNotebooks:
    """``notebooks/towns/<code>.ipynb``: a town profile to edit, saved into ``towns/<code>.yaml``."""

    def _town_code(self: Any, ws: Workspace, path: str) -> str:
        try:
            return parse_town_view(ws, path.strip("/")[len(FOLDER) + 1:])
        except TownNotebookNotFound as exc:
            raise _refused(str(exc), 404) from None

    def _town_file(self: Any, code: str) -> Path:
        """``towns/<code>.yaml`` for a code that matched :data:`~kizuna.lab.towns.NAME` (six digits)."""
        return Path(self.root_dir) / TOWNS_DIR / f"{code}.yaml"

    def _town_on_disk(self: Any, path: str) -> str:
        """The code of a town notebook path whose ``towns/<code>.yaml`` exists (without loading
        the workspace: listing and the check before a save stay fast in a national workspace)."""
        found = NAME.fullmatch(path.strip("/")[len(FOLDER) + 1:])
        if not found or not self._town_file(found["code"]).is_file():
            raise _refused(_("'{name}' is not a town notebook of this workspace; they are {folder}/<code>.ipynb, "
                             "one per towns/<code>.yaml").format(name=path[:80], folder=FOLDER), 404)
        return found["code"]

    def _town_model(self: Any, ws: Workspace | None, code: str, content: bool,
                    require_hash: bool = False) -> dict[str, Any]:
        when = _stamp(self._town_file(code))
        model: dict[str, Any] = {
            "name": f"{code}.ipynb", "path": view_path(code), "type": "notebook", "mimetype": None,
            "created": when, "last_modified": when, "writable": True, "size": None,
            "content": None, "format": None, "hash": None, "hash_algorithm": None,
        }
        if (content or require_hash) and ws is not None:
            town = ws.towns[code]
            nb = build_town_notebook(ws, town, key=self._key(), generated_at=when.isoformat(timespec="seconds"),
                                     findings=town_findings(ws, town))
            if require_hash:
                model.update(hash=hashlib.sha256(nbformat.writes(nb).encode("utf-8")).hexdigest(),
                             hash_algorithm="sha256")
            if content:
                self.mark_trusted_cells(nb, view_path(code))
                model.update(content=nb, format="json")
        return model

    def _town_folder_model(self: Any, content: bool) -> dict[str, Any]:
        codes = sorted(p.stem for p in (Path(self.root_dir) / TOWNS_DIR).glob("*.yaml") if NAME.fullmatch(f"{p.stem}.ipynb"))
        listed = [self._town_model(None, code, False) for code in codes]
        when = max((m["last_modified"] for m in listed), default=datetime.fromtimestamp(0, tz=timezone.utc))
        return {"name": "towns", "path": FOLDER, "type": "directory", "mimetype": None, "created": when,
                "last_modified": when, "writable": False, "size": None, "hash": None, "hash_algorithm": None,
                "content": listed if content else None, "format": "json" if content else None}

    async def _town_get(self: Any, path: str, content: bool, require_hash: bool) -> dict[str, Any]:
        if path.strip("/") == FOLDER:
            return self._town_folder_model(content)
        if not (content or require_hash):
            return self._town_model(None, self._town_on_disk(path), False)
        ws = self._workspace()
        return self._town_model(ws, self._town_code(ws, path), content, require_hash)

    def _town_exists(self: Any, path: str, folder: bool) -> bool:
        if path.strip("/") == FOLDER:
            return folder
        if folder:
            return False
        try:
            self._town_on_disk(path)
        except web.HTTPError:
            return False
        return True

    async def _town_save(self: Any, model: dict[str, Any], path: str) -> dict[str, Any]:
        code = self._town_on_disk(path)
        if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
            raise _refused(_("{name} can only be saved as a notebook").format(name=view_path(code)))
        root = Path(self.root_dir)
        key = self._key()
        with workspace_lock(root, f"kizuna lab: save town {code}"):
            ws = self._workspace()  # read again under the lock: what others wrote meanwhile counts
            if code not in ws.towns:
                raise _refused(_("towns/{code}.yaml is no longer in the workspace; nothing was written").format(code=code),
                               409)
            source = ws.config.source_locale
            where: dict[str, str] = {}
            try:
                edited = read_town_notebook(model["content"], ws, code, key)
                where = edited.where
                town = ws.towns[code]
                merged = merge_units(edited, town_units(town, source))
                if merged.conflicts:
                    raise _refused(conflict_message(code, merged.conflicts), 409)
                if merged.applied:
                    candidate = town_with_units(town, merged.units, source)
                    file = ws.town_path(code)
                    town_from_data(town_to_data(candidate, source), file, source)
                    check_town_refs(candidate, file, policies=set(ws.config.policies),
                                    locales=set(ws.config.locales), message_ids=set(ws.messages))
                    _check_templates(candidate, [u for u in merged.applied if u.startswith("blocks.")],
                                     edited.where, source)
                    ws.save_town(candidate)
                    self.log.info("kizuna lab: towns/%s.yaml: %s", code,
                                  ", ".join(describe_unit(u) for u in merged.applied))
            except KizunaError as exc:
                raise _refused(_("Not saved; towns/{code}.yaml is unchanged.").format(code=code) + "\n"
                               + _("Fix this and save again:") + f"\n{_cell_of(exc, where)}{exc}") from None
        return self._town_model(None, code, False)


def _cell_of(exc: KizunaError, where: dict[str, str]) -> str:
    """The cell a validation error of the town file comes from (by its field), as a prefix."""
    if not exc.field:
        return ""
    field = exc.field
    for unit, cell in where.items():
        name = unit.partition("@")[0]
        if field == name or field.startswith(name + ".") or name.startswith(field + "."):
            return f"{cell}: "
    return ""


def _check_templates(town: Town, units: list[str], where: dict[str, str], source: str) -> None:
    """Render every changed block with the town's own profile: a block that cannot be rendered
    (a syntax error, a field the profile does not have) is refused, naming its cell."""
    wanted = set(units)
    for stage, per_locale in town.blocks.items():
        for locale, block in per_locale.items():
            unit = f"blocks.{stage}@{locale}"
            if unit not in wanted or ("{{" not in block and "{%" not in block):
                continue
            context = {"town": town.template_context(locale, source), "stage": stage_context(stage)}
            try:
                render(block, context, where=where.get(unit, describe_unit(unit)))
            except KizunaError as exc:
                raise KizunaError(_("{message} (the fields a block can use: town.name, town.contacts.*, "
                                    "town.services.* and more)").format(message=exc.message)) from None
