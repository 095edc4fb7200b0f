"""Benchmark: every command of issue 10 on the national workspace (1,741 towns), as a user runs it.

Each command runs as its own ``kizuna`` process on a scratch copy of the workspace built by
:func:`benchmarks.national.build_national_workspace`; the wall time and the peak resident memory
of that process (``os.wait4``'s rusage: the child and nothing else) are printed per command. A
bare Jinja2 render-and-write loop of the export's shape (one JSON list per town and locale) runs
in the same session, for the export ratio. After the cold runs, one message is edited and
``check`` and the JSON export run again (what a writer waits for after a one-word fix); then
``check`` on the unchanged workspace, and after an edit of a draft (what ships does not
change). The imports "after check" run on a copy of the workspace checked first (the checks
cache up to date), as a writer's import in a workspace that is checked as it is edited.

Run: ``python -m benchmarks national`` or ``.venv/bin/python benchmarks/bench_national.py
[--only check,coverage] [--towns N]``. Targets (issue 10): check < 10 s cold and < 2 s after a
one-message edit; coverage < 10 s and < 1 GiB; author import with 50 edits < 5 s; author
workbook for one locale < 10 s; export --all --format json ≤ 1.2× the bare loop; a one-message
re-export (``export json (after edit)``, ``export --all (after edit)``: into the folder of the
export before the edit, so unchanged files are reused) < 10 s.

Build the workspace once outside the repository and reuse it:
``--workspace /tmp/national --scratch-dir /tmp``; ``--only export`` runs the exports.
Any ``--only`` selection runs on its own: what a selected step needs (the workbook an import
reads, the export or check before an edit that the run "after edit" follows) runs first, untimed
and unprinted (:data:`NEEDS`).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.national import build_national_workspace  # noqa: E402

KIZUNA = str(Path(sys.executable).with_name("kizuna"))


def run(args: list[str], cwd: Path, log: Path) -> dict[str, Any]:
    """Run one command; wall seconds, peak RSS (MiB) of that child, exit status."""
    with open(log, "ab") as out:
        out.write(f"\n$ {' '.join(args)}\n".encode())
        out.flush()
        started = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, stdout=out, stderr=out)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": seconds, "rss_mib": usage.ru_maxrss / 1024, "exit": proc.returncode,
            # CPU seconds of the child (user + system): steadier than wall time on a shared machine
            "cpu_s": usage.ru_utime + usage.ru_stime}


def bare_loop(ws_root: Path, out: Path) -> dict[str, Any]:
    """A plain Jinja2 loop of the export's shape (in a child, measured like the commands)."""
    code = f"""
import json, jinja2, sys
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
from kizuna.catalog.workspace import load_workspace
from kizuna.catalog.templating import BLOCK_SEPARATOR
import time
ws = load_workspace(Path({str(ws_root)!r}))
t = time.perf_counter()
env = jinja2.Environment(autoescape=False)
compiled = {{}}
def render(source, context):
    tpl = compiled.get(source)
    if tpl is None:
        tpl = compiled[source] = env.from_string(source)
    return tpl.render(context)
out = Path({str(out)!r})
for town in ws.towns.values():
    ctx_town = town.template_context()
    for locale in town.locales:
        rows = []
        for m in ws.town_messages(town):
            text = ws.config.text_locale(m, locale)
            if text is None:
                continue
            context = {{"town": ctx_town, "stage": {{"key": str(m.stage), "label": m.stage.label_ja}}}}
            body = render(m.texts[text].text, context)
            block = town.block(m.stage, locale)
            if block:
                body += BLOCK_SEPARATOR + render(block, context)
            rows.append({{"id": m.id, "stage": str(m.stage), "text": body}})
        folder = out / town.code / locale
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "catalog.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
"""
    return code


def edit_workbook(path: Path, count: int) -> int:
    """Change the target text of the first ``count`` translated rows of a translation workbook."""
    from openpyxl import load_workbook

    book = load_workbook(path)
    sheet = book["翻訳"]
    headers = {c.value: c.column for c in sheet[1]}
    col = headers["修正後の訳文"]
    done = 0
    for row in range(2, sheet.max_row + 1):
        cell = sheet.cell(row, col)
        if cell.value and done < count:
            cell.value = str(cell.value) + " Thank you."
            done += 1
    book.save(path)
    return done


def edit_one_message(ws_root: Path) -> str:
    """A writer's one-word fix in one national message file (its ja text)."""
    path = sorted((ws_root / "messages").glob("*.yaml"))[len(list((ws_root / "messages").glob("*.yaml"))) // 2]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("大丈夫です。", "だいじょうぶです。", 1) if "大丈夫です。" in text
                    else text.replace("。", "ね。", 1), encoding="utf-8")
    return path.name


def edit_draft(ws_root: Path) -> str:
    """A writer's edit of a message nobody has signed off yet (what ships does not change)."""
    from kizuna.catalog.workspace import load_workspace
    from kizuna.review.signoff import status

    ws = load_workspace(ws_root)
    states = status(ws)
    draft = next(m for m in ws.messages.values()
                 if all(states[(m.id, loc)].state != "approved" for loc in m.texts))
    path = ws_root / "messages" / f"{draft.id}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("。", "ね。", 1), encoding="utf-8")
    return draft.id


#: what a step needs to have run before it, on the same workspace: ``--only`` runs it first,
#: untimed, when it was not selected itself (a workbook to import, the export or check before an
#: edit that the re-run after the edit reuses)
NEEDS: dict[str, tuple[str, ...]] = {
    "author import (untouched)": ("author workbook --locale en",),
    "author import (50 edits)": ("author workbook --locale en",),
    "author import (50 edits, after check)": ("author workbook --locale en",),
    "author import (1 edit, after check)": ("author workbook --locale en",),
    "check (after edit)": ("check (cold)", "one-message edit"),
    "export json (after edit)": ("export --all --format json", "one-message edit"),
    "export --all (after edit)": ("export --all (every format)", "one-message edit"),
    "check (unchanged)": ("check (after edit)",),
    "check (after a draft edit)": ("check (unchanged)", "draft edit"),
}


def plan(names: list[str], only: list[str] | None,
         needs: dict[str, tuple[str, ...]] = NEEDS) -> dict[str, bool]:
    """The steps to run, in the order of ``names``, each with whether it is timed: every step
    when ``only`` is None, else those whose name contains one of ``only`` (timed), what they need
    (:data:`NEEDS`, transitively; untimed)."""
    if only is None:
        return {name: True for name in names}
    selected = {name for name in names if any(part and part in name for part in only)}
    required: set[str] = set()
    pending = list(selected)
    while pending:
        for need in needs.get(pending.pop(), ()):
            if need not in required:
                required.add(need)
                pending.append(need)
    return {name: name in selected for name in names if name in selected or name in required}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--towns", type=int, default=None, help="first N municipalities (default: all 1,741)")
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--only", default=None, help="comma-separated names of the steps to run")
    parser.add_argument("--json", dest="json_out", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--kizuna", default=KIZUNA, help="the kizuna executable to time (default: this venv's)")
    parser.add_argument("--workspace", type=Path, default=None,
                        help="build (once) and reuse the national workspace here (default: benchmarks/out/national)")
    parser.add_argument("--scratch-dir", type=Path, default=None, help="make the scratch folder under this folder")
    args = parser.parse_args(argv)
    source = build_national_workspace(args.workspace, messages=args.messages, towns=args.towns)
    if args.scratch_dir:
        args.scratch_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="kizuna-national-", dir=args.scratch_dir))
    ws = scratch / "ws"
    shutil.copytree(source, ws, ignore=shutil.ignore_patterns("cache", "lock"))
    log = scratch / "commands.log"
    first_town = sorted(p.stem for p in (ws / "towns").glob("*.yaml"))[0]
    book = scratch / "en.xlsx"
    edited = scratch / "en-edited.xlsx"
    k = [args.kizuna]
    steps: list[tuple[str, Any]] = [
        ("review status", k + ["review", "status"]),
        ("preview", k + ["preview", "--town", first_town, "--due", "2026-06-01"]),
        ("check (cold)", k + ["check"]),
        ("coverage (text)", k + ["coverage"]),
        ("author workbook --locale en", k + ["author", "workbook", "--locale", "en", "--out", str(book)]),
        ("author import (untouched)", lambda: k + ["author", "import", str(book)]),
        ("author import (50 edits)", "edits"),
        # the same 50 edits, after a ``kizuna check`` brought the checks cache up to date (what a
        # writer's import costs in a workspace that is checked as it is edited): the post-check
        # checks only the 50 changed texts; and a workbook with one edit
        ("author import (50 edits, after check)", "edits-after-check"),
        ("author import (1 edit, after check)", "edit1-after-check"),
        ("export --all --format json", k + ["export", "--all", "--format", "json", "--out", str(scratch / "exp-json")]),
        ("bare Jinja2 loop", "loop"),
        ("export --all (every format)", k + ["export", "--all", "--out", str(scratch / "exp-all")]),
        ("one-message edit", "edit"),
        ("check (after edit)", k + ["check"]),
        # re-exports into the same folders: what a writer waits for after a one-word fix
        ("export json (after edit)", k + ["export", "--all", "--format", "json", "--out", str(scratch / "exp-json")]),
        ("export --all (after edit)", k + ["export", "--all", "--out", str(scratch / "exp-all")]),
        ("check (unchanged)", k + ["check"]),
        ("draft edit", "draft"),
        ("check (after a draft edit)", k + ["check"]),
    ]
    only = args.only.split(",") if args.only else None
    towns = len(list((ws / "towns").glob("*.yaml")))
    print(f"national workspace: {towns} towns, {len(list((ws / 'messages').glob('*.yaml')))} messages "
          f"({source}); scratch {scratch}", flush=True)
    results: dict[str, dict[str, Any]] = {}
    print(f"{'command':<40}{'wall s':>9}{'peak RSS MiB':>14}{'exit':>6}{'cpu s':>8}", flush=True)
    todo = plan([name for name, _ in steps], only)
    for name, what in steps:
        if name not in todo:
            continue
        timed = todo[name]
        if what in ("edits", "edits-after-check", "edit1-after-check"):
            target = ws
            if what != "edits":  # on a fresh copy of the built workspace, checked first (not timed)
                target = scratch / f"ws-{what}"
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("cache", "lock"))
                if (ws / ".kizuna" / "seal.key").is_file():  # the key the workbook was sealed with
                    shutil.copy(ws / ".kizuna" / "seal.key", target / ".kizuna" / "seal.key")
                run(k + ["check"], target, log)
            shutil.copy(book, edited)
            edit_workbook(edited, 1 if what == "edit1-after-check" else 50)
            what, cwd = k + ["author", "import", str(edited)], target
        elif what == "loop":
            what, cwd = [sys.executable, "-c", bare_loop(ws, scratch / "loop")], ws
        elif what == "edit":
            edit_one_message(ws)
            continue
        elif what == "draft":
            edit_draft(ws)
            continue
        else:
            what, cwd = (what() if callable(what) else what), ws
        r = run(what, cwd, log)
        if timed:
            results[name] = r
            print(f"{name:<40}{r['seconds']:>9.1f}{r['rss_mib']:>14.0f}{r['exit']:>6}{r['cpu_s']:>8.1f}", flush=True)
        elif r["exit"] > 1:  # 1 is a check with findings
            print(f"({name}, run untimed for a step that needs it, failed: exit {r['exit']}; see the command output)",
                  flush=True)
    if "export --all --format json" in results and "bare Jinja2 loop" in results:
        ratio = results["export --all --format json"]["seconds"] / results["bare Jinja2 loop"]["seconds"]
        print(f"export --format json / bare loop: {ratio:.2f}× (target ≤ 1.2×)")
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=1))
    print(f"command output: {log}")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
