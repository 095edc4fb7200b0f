"""Benchmark: export every municipality (1,741) × 2 locales from a synthetic catalog, next to a
plain Jinja2 render-and-write loop over the same data, in the same run.

Run::

    .venv/bin/python benchmarks/bench_export.py            # 1,000 messages, all 1,741 towns
    .venv/bin/python benchmarks/bench_export.py --messages 1500 --towns 200 --formats json,csv

Each phase runs in a fresh process that builds the same synthetic workspace (seeded, in memory:
loading YAML is not what is measured), then times only the export:

* ``plain loop`` — one process: for each town and locale, render every message text and the
  town's block with a plain ``jinja2.Environment`` (templates compiled once) and write one JSON
  list of ``{id, stage, text}`` per town and locale;
* ``kizuna -j1`` / ``kizuna -jN`` — :func:`exports.runner.run_export` (sandboxed strict
  rendering, per-channel checks, canonical JSON, manifest, atomic swap) with 1 and N workers.

Sign-off is not measured: every text is treated as approved (the export reads the sign-off
status once per run; its cost depends on the decisions log, not on the towns). Reported per
phase: wall time, catalogs (town × locale) and messages per second, MB written, and peak
resident memory of the main process and of the largest worker.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import jinja2  # noqa: E402

from kizuna.catalog.cadence import REFERENCE_POLICY  # noqa: E402
from kizuna.catalog.messages import LocaleText, Message  # noqa: E402
from kizuna.catalog.municipalities import municipalities  # noqa: E402
from kizuna.catalog.stages import Stage  # noqa: E402
from kizuna.catalog.templating import BLOCK_SEPARATOR  # noqa: E402
from kizuna.catalog.towns import Town  # noqa: E402
from kizuna.catalog.workspace import Config, Workspace  # noqa: E402

LOCALES = ("ja", "en")
CHANNEL_MIX = (("line",), ("line", "sms"), ("sms",), ("line", "email"), ("email",))
JA_PIECES = ("赤ちゃんの様子をゆっくり見てみませんか。", "わからないことは、一つずつ確かめていけば大丈夫です。",
             "体調が気になるときは、早めに相談できます。", "ご家族で役割を話し合ってみるのもよい方法です。",
             "健診の予約は、早めにしておくと安心です。", "眠れるときに少しでも休みましょう。")
EN_PIECES = ("Take a moment to watch how your baby is doing.", "It is fine to check one thing at a time.",
             "If you feel unwell, you can ask for advice early.", "Sharing the care at home helps everyone.")


# --- the synthetic catalog ---------------------------------------------------------------------------

def synthetic_text(rng: random.Random, pieces: tuple[str, ...], templated: bool) -> str:
    body = "".join(rng.choice(pieces) for _ in range(rng.randint(2, 4)))
    if templated:
        body += rng.choice(("{{ town.name }}の窓口でも相談できます。",
                            "問い合わせ先：{{ town.contacts.desk }}（{{ town.contacts.phone }}）"))
    return body


def synthetic_messages(count: int, seed: int = 1) -> dict[str, Message]:
    """``count`` messages spread over the reference cadence, ja and en, a fifth templated."""
    rng = random.Random(seed)
    slots = REFERENCE_POLICY.expand()
    messages = {}
    for i in range(count):
        stage = slots[(i * len(slots)) // count]
        mid = f"m{i:05d}-{str(stage).lower()}"
        templated = i % 5 == 0
        texts = {"ja": LocaleText(synthetic_text(rng, JA_PIECES, templated)),
                 "en": LocaleText(synthetic_text(rng, EN_PIECES, templated))}
        messages[mid] = Message(id=mid, stage=stage, texts=texts)
    return dict(sorted(messages.items(), key=lambda kv: (kv[1].stage.sort_key, kv[0])))


def synthetic_towns(stages: list[Stage], count: int | None = None) -> dict[str, Town]:
    """A profile for each official municipality (or the first ``count``), 8 blocks each."""
    block_stages = stages[:: max(1, len(stages) // 8)][:8]
    towns = {}
    for i, m in enumerate(municipalities()[:count]):
        towns[m.code] = Town(
            code=m.code, name=m.name, prefecture=m.prefecture,
            contacts={"desk": "子育て支援課", "phone": f"000-{i:04d}-0000"},
            send_time=f"{7 + i % 3:02d}:00", channels=CHANNEL_MIX[i % len(CHANNEL_MIX)],
            email_encoding="iso-2022-jp" if i % 2 else "utf-8", locales=LOCALES,
            blocks={s: {"ja": f"【{m.name}より】{{{{ town.contacts.desk }}}}（{{{{ town.contacts.phone }}}}）で受け付けています。"}
                    for s in block_stages})
    return towns


def synthetic_workspace(root: Path, messages: int, towns: int | None) -> Workspace:
    catalog = synthetic_messages(messages)
    stages = sorted({m.stage for m in catalog.values()})
    root.mkdir(parents=True, exist_ok=True)
    (root / "kizuna.yaml").write_text("kizuna: 1\nlocales: [ja, en]\n", encoding="utf-8")
    config = Config(title="benchmark", locales=LOCALES)
    return Workspace(root, config, catalog, synthetic_towns(stages, towns), {})


def approve_everything() -> None:
    """Sign-off is not measured: every item counts as approved."""
    import kizuna.exports.approval as approval

    def all_approved(ws: Workspace, now: Any) -> dict[tuple[str, str], Any]:
        keys = [(m.id, loc) for m in ws.messages.values() for loc in m.texts]
        keys += [(f"town:{t.code}:{s}", loc) for t in ws.towns.values() for s, by in t.blocks.items() for loc in by]
        return {k: SimpleNamespace(state="approved", approval_ref="0" * 64, current_hash="0" * 16) for k in keys}

    approval.signoff_status = all_approved


# --- the phases ------------------------------------------------------------------------------------------

def plain_loop(ws: Workspace, out: Path) -> dict[str, int]:
    """Render with plain Jinja2 and write one JSON list per town and locale."""
    env = jinja2.Environment(autoescape=False)
    compiled: dict[str, jinja2.Template] = {}

    def render(source: str, context: dict[str, Any]) -> str:
        template = compiled.get(source)
        if template is None:
            template = compiled[source] = env.from_string(source)
        return template.render(context)

    catalogs = entries = 0
    for town in ws.towns.values():
        town_context = town.template_context()
        for locale in town.locales:
            rows = []
            for message in ws.town_messages(town):
                context = {"town": town_context, "stage": {"key": str(message.stage), "label": message.stage.label_ja}}
                text = render(message.texts[locale].text, context)
                block = town.block(message.stage, locale)
                if block:
                    text += BLOCK_SEPARATOR + render(block, context)
                rows.append({"id": message.id, "stage": str(message.stage), "text": text})
            folder = out / town.code / locale
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "catalog.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
            catalogs += 1
            entries += len(rows)
    return {"catalogs": catalogs, "entries": entries}


def kizuna_export(ws: Workspace, out: Path, jobs: int, formats: tuple[str, ...]) -> dict[str, int]:
    from kizuna.exports.runner import ExportRequest, run_export

    approve_everything()
    result = run_export(ws, ExportRequest(formats=formats, jobs=jobs), out)
    counts = result.manifest["counts"]
    return {"catalogs": counts["catalogs"], "entries": counts["entries"]}


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _cpu_seconds() -> float:
    """User and system CPU time of this process and its finished workers."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def run_phase(args: argparse.Namespace) -> dict[str, Any]:
    """One phase in this (fresh) process; prints its figures as one JSON line."""
    work = Path(args.work)
    ws = synthetic_workspace(work / "workspace", args.messages, args.towns)
    out = work / f"out-{args.phase}-{args.jobs}"
    shutil.rmtree(out, ignore_errors=True)
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    if args.phase == "loop":
        counts = plain_loop(ws, out)
    else:
        counts = kizuna_export(ws, out, args.jobs, tuple(args.formats.split(",")))
    seconds = time.perf_counter() - started
    figures = {
        **counts, "seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu_started, "bytes": folder_bytes(out),
        "rss_main_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    shutil.rmtree(out, ignore_errors=True)
    return figures


def spawn(args: argparse.Namespace, phase: str, jobs: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--phase", phase, "--jobs", str(jobs), "--work", args.work,
               "--messages", str(args.messages), "--formats", args.formats]
    if args.towns:
        command += ["--towns", str(args.towns)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(rows: list[tuple[str, dict[str, Any]]]) -> str:
    lines = [f"{'phase':<14}{'seconds':>9}{'CPU s':>8}{'catalogs/s':>12}{'messages/s':>12}{'MB written':>12}"
             f"{'peak RSS main':>15}{'largest worker':>16}"]
    for name, r in rows:
        worker = f"{r['rss_worker_mb']:.0f} MB" if r["rss_worker_mb"] else "-"
        lines.append(f"{name:<14}{r['seconds']:>9.1f}{r['cpu_seconds']:>8.1f}{r['catalogs'] / r['seconds']:>12.0f}"
                     f"{r['entries'] / r['seconds']:>12.0f}{r['bytes'] / 1e6:>12.0f}"
                     f"{r['rss_main_mb']:>12.0f} MB{worker:>16}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--towns", type=int, default=None, help="first N municipalities (default: all 1,741)")
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--formats", default="json", help="kizuna formats (default: the canonical JSON)")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--phase", choices=("loop", "kizuna"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        print(json.dumps(run_phase(args)))
        return 0
    scratch = None
    if args.work is None:
        scratch = args.work = tempfile.mkdtemp(prefix="kizuna-bench-")
    try:
        towns = args.towns or len(municipalities())
        print(f"synthetic catalog: {args.messages} messages × {len(LOCALES)} locales, {towns} towns, "
              f"formats {args.formats}, {args.jobs} CPU(s)")
        rows = [("plain loop", spawn(args, "loop", 1)), ("kizuna -j1", spawn(args, "kizuna", 1))]
        if args.jobs > 1:
            rows.append((f"kizuna -j{args.jobs}", spawn(args, "kizuna", args.jobs)))
        print(report(rows))
        loop, best = rows[0][1]["seconds"], min(r["seconds"] for _, r in rows[1:])
        single = rows[1][1]["seconds"]
        if args.formats == "json":
            print(f"kizuna -j1 / plain loop: {single / loop:.2f}×; fastest kizuna / plain loop: "
                  f"{best / loop:.2f}× (target ≤ 2×); all towns in {best:.0f} s (target < 120 s)")
        else:
            print(f"fastest kizuna: {best:.0f} s (the plain loop writes one JSON per catalog: "
                  "compare like with like with --formats json)")
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
