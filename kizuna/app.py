"""The CLI's shared state and error handling: which workspace, and how errors reach people.

Exit codes: 0 success, 1 the job ran and found problems (e.g. error-level findings), 2 bad
input (a ``KizunaError``: message on stderr naming file and field; nothing written), 141 the
reader of the output went away (``kizuna towns | head``: no message, as a shell reports SIGPIPE).
"""
from __future__ import annotations

import errno
import functools
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from kizuna.catalog.errors import KizunaError
from kizuna.catalog.i18n import N_, _
from kizuna.catalog.loadcache import forget_pending, save_pending
from kizuna.catalog.workspace import Workspace, find_root, load_workspace

EXIT_FINDINGS = 1
EXIT_BAD_INPUT = 2
#: the output's reader closed the pipe (128 + SIGPIPE, what a shell shows for it)
EXIT_PIPE_CLOSED = 141

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class App:
    """What every command gets: the workspace option, loaded on first use."""

    workspace_option: Path | None = None
    _workspace: Workspace | None = field(default=None, repr=False)

    @property
    def root(self) -> Path:
        return find_root(self.workspace_option or Path.cwd())

    def workspace(self) -> Workspace:
        if self._workspace is None:
            self._workspace = load_workspace(self.root)
        return self._workspace


pass_app = click.make_pass_decorator(App, ensure=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    click.echo(_("kizuna: error: {message}").format(message=message), err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn a ``KizunaError`` into a message on stderr and exit code 2 (nothing written: the
    local caches of what was loaded are dropped); when the command ran to the end (exit 0 or
    1), bring those caches up to date (:func:`catalog.loadcache.save_pending`)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            result = func(*args, **kwargs)
        except SystemExit as exc:
            if exc.code in (None, 0, EXIT_FINDINGS):  # the job ran to the end
                save_pending()
            raise
        except KizunaError as exc:
            forget_pending()
            fail(str(exc))
        except BrokenPipeError:  # ``kizuna towns | head``: the reader has what it wanted
            quiet_stdout()
            sys.exit(EXIT_PIPE_CLOSED)
        except OSError as exc:  # the file system refused: say where and what to do, no traceback
            forget_pending()
            fail(os_error_message(exc))
        save_pending()  # the local caches of what it loaded (.kizuna/cache/), for the next command
        return result

    return wrapper  # type: ignore[return-value]


def quiet_stdout() -> None:
    """Point standard output at the null device, so the interpreter's last flush of a closed
    pipe does not print a second error on the way out."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (a test's captured output)
        pass
    finally:
        os.close(devnull)


_OS_HINTS = {
    errno.EEXIST: N_("a file is in the way of a folder; choose another path"),
    errno.ENOTDIR: N_("a file is in the way of a folder; choose another path"),
    errno.EISDIR: N_("a folder is in the way of a file; choose another path"),
    errno.EACCES: N_("no permission; choose another path or fix the permissions"),
    errno.EPERM: N_("no permission; choose another path or fix the permissions"),
    errno.EROFS: N_("the file system is read-only; choose another path"),
    errno.ENOSPC: N_("the disk is full"),
}


def os_error_message(exc: OSError) -> str:
    """``path: what went wrong (what to do)`` for an error the operating system raised."""
    where = exc.filename if exc.filename is not None else "-"
    hint = _OS_HINTS.get(exc.errno or 0)
    what = exc.strerror or type(exc).__name__
    return f"{where}: {what}" + (f" ({_(hint)})" if hint else "")
