"""The Jupyter Server contents manager of ``kizuna lab``: message notebooks that save straight back.

The workspace folder is served as it is (YAML files, the dashboard notebook, ...), plus a
virtual folder ``notebooks/`` holding one notebook per stage band and locale
(:mod:`kizuna.lab.views`), built from the workspace each time it is opened. Saving one of them
merges it into the workspace files through the same three-way merge as ``kizuna author import``
(under the workspace lock): edits land in ``messages/<id>.yaml``, an edit that meets a change
someone else made meanwhile is kept as a suggestion, and a notebook that cannot be imported is
refused with the reason (JupyterLab shows it in its save-error dialog) and nothing is written.
Like jupytext's paired notebooks, there are no copies to go stale: the YAML files are the truth.

Checkpoints of a virtual notebook are the workspace's version control, not files: creating one
succeeds without copying anything, and listing shows none.
"""
from __future__ import annotations

import hashlib
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import nbformat
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from tornado import web

from kizuna.authoring.importer import import_file
from kizuna.catalog.errors import KizunaError
from kizuna.catalog.lock import LOCAL_DIR, workspace_lock
from kizuna.catalog.safepaths import write_target
from kizuna.catalog.sealkey import read_key, seal_key
from kizuna.catalog.workspace import Workspace, load_workspace
from kizuna.lab.towncontents import TownNotebooks, is_town_path
from kizuna.lab.views import FOLDER, View, build_view, message_files, parse_view, views
from kizuna.catalog.i18n import _

SAVES_DIR = "lab/saves"


def _when(paths: list[Path]) -> datetime:
    stamps = []
    for p in paths:
        try:
            stamps.append(p.stat().st_mtime)
        except OSError:
            continue
    return datetime.fromtimestamp(max(stamps, default=0.0), tz=timezone.utc)


def _refused(text: str, status: int = 400) -> web.HTTPError:
    # Jupyter Server sends ``log_message`` unformatted as the message JupyterLab shows (a "%s"
    # format would show as "%s"), and tornado formats it for its log: no '%' may remain in it
    return web.HTTPError(status, text.replace("%", "％"))


class KizunaContentsManager(TownNotebooks, AsyncLargeFileManager):
    """Files as usual, and ``notebooks/<band>.<locale>.ipynb`` as views of the workspace (and
    ``notebooks/towns/<code>.ipynb``, the town profiles: :mod:`kizuna.lab.towncontents`)."""

    def _root(self) -> Path:
        return Path(self.root_dir)

    def _key(self) -> bytes:
        """The workspace's seal key (made under the lock the first time): a view's record of its
        cells is sealed with it, so a deleted cell deletes its message on save."""
        root = self._root()
        found = read_key(root)
        if found is None:
            with workspace_lock(root, "kizuna lab: seal key"):
                found = seal_key(root)
        return found

    def _workspace(self) -> Workspace:
        try:
            return load_workspace(self._root())
        except KizunaError as exc:
            raise _refused(_("cannot read the workspace (run kizuna check to see why): {exc}").format(exc=exc), 500) from None

    @staticmethod
    def _is_virtual(path: str) -> bool:
        path = path.strip("/")
        return path == FOLDER or path.startswith(FOLDER + "/")

    def _view(self, ws: Workspace, path: str) -> View:
        name = path.strip("/")[len(FOLDER) + 1:]
        try:
            return parse_view(ws, name)
        except KizunaError as exc:
            raise _refused(str(exc), 404) from None

    def _view_model(self, ws: Workspace, view: View, content: bool, require_hash: bool = False) -> dict[str, Any]:
        paths = [*message_files(ws, view), self._root() / "decisions.jsonl", self._root() / "suggestions"]
        when = _when(paths)
        model: dict[str, Any] = {
            "name": view.name, "path": view.path, "type": "notebook", "mimetype": None,
            "created": when, "last_modified": when, "writable": True, "size": None,
            "content": None, "format": None, "hash": None, "hash_algorithm": None,
        }
        if content or require_hash:
            nb = build_view(ws, view, generated_at=when.isoformat(timespec="seconds"), key=self._key())
            if require_hash:
                model.update(hash=hashlib.sha256(nbformat.writes(nb).encode("utf-8")).hexdigest(),
                             hash_algorithm="sha256")
            if content:
                self.mark_trusted_cells(nb, view.path)
                model.update(content=nb, format="json")
        return model

    def _folder_model(self, ws: Workspace, content: bool) -> dict[str, Any]:
        listed = [self._view_model(ws, v, False) for v in views(ws)]
        if ws.towns:
            listed.append(self._town_folder_model(False))
        when = max((m["last_modified"] for m in listed), default=datetime.fromtimestamp(0, tz=timezone.utc))
        return {"name": FOLDER, "path": FOLDER, "type": "directory", "mimetype": None, "created": when,
                "last_modified": when, "writable": False, "size": None, "hash": None, "hash_algorithm": None,
                "content": listed if content else None, "format": "json" if content else None}

    # --- reading ---------------------------------------------------------------------------------------

    async def get(self, path: str, content: bool = True, type: str | None = None, format: str | None = None,
                  require_hash: bool = False) -> dict[str, Any]:
        if not self._is_virtual(path):
            model = await super().get(path, content=content, type=type, format=format, require_hash=require_hash)
            if path.strip("/") == "" and content and not any(m["name"] == FOLDER for m in model["content"]):
                model["content"].append(self._folder_model(self._workspace(), False))
            return model
        if is_town_path(path):
            return await self._town_get(path, content, require_hash)
        ws = self._workspace()
        if path.strip("/") == FOLDER:
            return self._folder_model(ws, content)
        return self._view_model(ws, self._view(ws, path), content, require_hash)

    async def dir_exists(self, path: str) -> bool:
        if is_town_path(path):
            return self._town_exists(path, folder=True)
        if self._is_virtual(path):
            return path.strip("/") == FOLDER
        return await super().dir_exists(path)

    async def file_exists(self, path: str = "") -> bool:
        if is_town_path(path):
            return self._town_exists(path, folder=False)
        if self._is_virtual(path):
            try:
                self._view(self._workspace(), path)
            except web.HTTPError:
                return False
            return True
        return await super().file_exists(path)

    async def is_hidden(self, path: str) -> bool:
        return False if self._is_virtual(path) else await super().is_hidden(path)

    # --- saving: the merge ------------------------------------------------------------------------------

    async def save(self, model: dict[str, Any], path: str = "") -> dict[str, Any]:
        if not self._is_virtual(path):
            return await super().save(model, path)
        if is_town_path(path):
            return await self._town_save(model, path)
        ws = self._workspace()
        view = self._view(ws, path)
        if model.get("type") != "notebook" or model.get("content") is None:
            raise _refused(_("{name} can only be saved as a notebook").format(name=view.name))
        root = self._root()
        with workspace_lock(root, f"kizuna lab: save {view.name}"):
            staged = write_target(root, root / LOCAL_DIR / SAVES_DIR / view.name)
            staged.parent.mkdir(parents=True, exist_ok=True)
            try:
                nb = nbformat.from_dict(model["content"])
                staged.write_text(nbformat.writes(nb), encoding="utf-8")
                report = import_file(load_workspace(root), staged)
            except KizunaError as exc:
                raise _refused(_("Not saved; nothing in the workspace changed.\n"
                               "Fix this and save again: {exc}").format(exc=exc)) from None
            finally:
                if staged.exists():
                    os.unlink(staged)
        self.log.info("kizuna lab: %s", " / ".join(report.render()))
        return self._view_model(load_workspace(root), view, False)

    async def delete_file(self, path: str) -> None:
        if self._is_virtual(path):
            raise _refused(_("the notebooks in notebooks/ are made from the workspace; to delete a message, "
                           "delete its cell in the notebook and save"))
        await super().delete_file(path)

    async def rename_file(self, old_path: str, new_path: str) -> None:
        if self._is_virtual(old_path) or self._is_virtual(new_path):
            raise _refused(_("the notebooks in notebooks/ cannot be renamed (their names come from the stage band and the language)"))
        await super().rename_file(old_path, new_path)

    # --- checkpoints: version control holds the history of a view ---------------------------------------

    async def create_checkpoint(self, path: str) -> dict[str, Any]:
        if self._is_virtual(path):
            return {"id": "workspace", "last_modified": datetime.now(timezone.utc)}
        return await super().create_checkpoint(path)

    async def list_checkpoints(self, path: str) -> list[dict[str, Any]]:
        if self._is_virtual(path):
            return []
        return await super().list_checkpoints(path)

    async def restore_checkpoint(self, checkpoint_id: str, path: str) -> None:
        if self._is_virtual(path):
            raise _refused(_("the history of notebooks/ is in the workspace's version control (git)"))
        await super().restore_checkpoint(checkpoint_id, path)

    async def delete_checkpoint(self, checkpoint_id: str, path: str) -> None:
        if not self._is_virtual(path):
            await super().delete_checkpoint(checkpoint_id, path)
