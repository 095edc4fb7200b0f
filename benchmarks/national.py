"""A national benchmark workspace, in the real on-disk format, and the commands timed on it.

:func:`build_national_workspace` writes (once; later calls reuse it) a workspace of the shape of
the national service: every one of the 1,741 official municipalities (``catalog/data/
municipalities.csv``), the reference cadence (one town in ten on an ``extended`` cadence to age
7), about 1,000 national messages in ``ja`` with ``en`` and ``ja-easy`` translations, a few
template blocks per town, the sample roster plus one town editor for every town, the sample
milestones and a decisions log, written with the project's own sealing code, that approves most
items. Files are written with the project's own writers (``Workspace.save_all``), so the
workspace loads exactly as a real one does.

The built workspace is cached under ``benchmarks/out/`` (git-ignored), keyed by its parameters
and the generator's own version, so a benchmark run after the first starts at once.

    from benchmarks.national import build_national_workspace
    root = build_national_workspace(Path("benchmarks/out/national"))
"""
from __future__ import annotations

import hashlib
import json
import random
import shutil
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from kizuna.catalog import yamlio
from kizuna.catalog.cadence import policy_from_data
from kizuna.catalog.hashing import text_hash
from kizuna.catalog.messages import LocaleText, Message
from kizuna.catalog.municipalities import municipalities
from kizuna.catalog.roster import Reviewer
from kizuna.catalog.stages import Stage
from kizuna.catalog.towns import Town
from kizuna.catalog.workspace import (CONFIG_FILE, ROSTER_FILE, Workspace, config_from_data, load_workspace,
                                      write_gitignore)

#: bump when the generator changes what it writes (the cache key includes it)
GENERATOR_VERSION = 3
OUT = Path(__file__).resolve().parent / "out"
SAMPLE = Path(__file__).resolve().parents[1] / "kizuna" / "sample"
JST = timezone(timedelta(hours=9))
TODAY = date.today()

JA_PIECES = ("赤ちゃんの様子をゆっくり見てみませんか。", "わからないことは、一つずつ確かめていけば大丈夫です。",
             "体調が気になるときは、早めに相談できます。", "ご家族で役割を話し合ってみるのもよい方法です。",
             "健診の予約は、早めにしておくと安心です。", "眠れるときに少しでも休みましょう。",
             "水分をこまめにとり、ゆっくり休む時間をつくりましょう。", "成長の早さには個人差があります。",
             "母子健康手帳に記録しておくと、あとで役に立ちます。", "気になることはメモにしておきましょう。")
EASY_PIECES = ("あかちゃんを よく 見て ください。", "わからない ことは きいて ください。",
               "つかれたら やすみましょう。", "けんしんの よやくを しましょう。")
EN_PIECES = ("Take a moment to watch how your baby is doing.", "It is fine to check one thing at a time.",
             "If you feel unwell, you can ask for advice early.", "Sharing the care at home helps everyone.",
             "Booking the checkup early makes things easier.", "Rest whenever you can.")
JA_TEMPLATES = ("{{ town.name }}の窓口でも相談できます。",
                "問い合わせ先：{{ town.contacts.desk }}（{{ town.contacts.phone }}）",
                "{{ town.services.postpartum_care }}")
EN_TEMPLATES = ("You can also ask at the {{ town.name }} desk.",
                "Contact: {{ town.contacts.desk }} ({{ town.contacts.phone }})",
                "{{ town.services.postpartum_care }}")
TOPICS = ((), ("medical",), ("checkup",), ("vaccination",), ("development",), ("safety",), ("sleep",),
          ("nutrition",), ("dental",), ("mental-health",))
CHANNEL_MIX = (("line",), ("line", "email"), ("line", "sms"), ("email",), ("sms",))
EXTENDED = {"description": "参照サービスの配信間隔に加え、3歳から7歳まで3日ごと", "end_age": "7y",
            "segments": [{"from": "P4w", "to": "P41w6d", "every": "1d"},
                         {"from": "B0d", "to": "B100d", "every": "1d"},
                         {"from": "B103d", "until": "B1y", "every": "3d"},
                         {"from": "B1y", "until": "B2y", "every": "7d"},
                         {"from": "B2y", "until": "B3y", "every": "14d"},
                         {"from": "B3y", "until": "B7y", "every": "3d"}]}


def _text(rng: random.Random, pieces: tuple[str, ...], template: str | None, sep: str = "") -> str:
    body = sep.join(rng.choice(pieces) for _ in range(rng.randint(2, 4)))
    return body + (sep + template if template else "")


def national_messages(count: int, rng: random.Random) -> dict[str, Message]:
    """About ``count`` messages on the extended cadence's slots (a few slots left empty, a few
    doubled), ja on all, en on 70 %, ja-easy on 40 %, a fifth of them templated."""
    slots = policy_from_data("extended", EXTENDED).expand()
    step = max(1, len(slots) // count) if count < len(slots) else 1
    chosen = slots[::step][:count]
    chosen = [s for i, s in enumerate(chosen) if i % 149 != 17]  # a few gaps
    chosen += chosen[50:53]  # a few collisions
    out: dict[str, Message] = {}
    for i, stage in enumerate(chosen):
        template = rng.randrange(len(JA_TEMPLATES)) if i % 5 == 0 else None
        ja = _text(rng, JA_PIECES, JA_TEMPLATES[template] if template is not None else None)
        texts = {"ja": LocaleText(ja)}
        if rng.random() < 0.7:
            en = _text(rng, EN_PIECES, EN_TEMPLATES[template] if template is not None else None, " ")
            texts["en"] = LocaleText(en, text_hash(ja) if rng.random() < 0.97 else "0" * 16)
        if rng.random() < 0.4:
            texts["ja-easy"] = LocaleText(_text(rng, EASY_PIECES, None, ""), text_hash(ja))
        mid = f"n{i:04d}-{str(stage).lower()}"
        out[mid] = Message(id=mid, stage=stage, texts=texts, topics=rng.choice(TOPICS))
    return out


def tag_milestones(messages: dict[str, Message], milestones: list[Any]) -> dict[str, Message]:
    """Tag the first message inside each milestone's window (but one, left for coverage to find)."""
    ordered = sorted(messages.values(), key=lambda m: (m.stage.sort_key, m.id))
    for k, milestone in enumerate(milestones):
        if k == len(milestones) - 1:
            break
        hit = next((m for m in ordered if milestone.contains(m.stage)), None)
        if hit is not None:
            messages[hit.id] = replace(messages[hit.id], milestones=messages[hit.id].milestones + (milestone.id,))
    return messages


def national_towns(stages: list[Stage], rng: random.Random, count: int | None, blocks: int) -> dict[str, Town]:
    """Every official municipality (or the first ``count``) with a profile and ``blocks`` blocks."""
    towns: dict[str, Town] = {}
    for i, m in enumerate(municipalities()[:count]):
        locales = ("ja",) + (("en",) if i % 3 == 0 else ()) + (("ja-easy",) if i % 5 == 0 else ())
        extended = i % 10 == 9
        services = {"postpartum_care": f"{m.name}の産後ケアは、出産後1年未満の方が利用できます。"}
        at = sorted(rng.sample(stages[:535], blocks))
        town_blocks: dict[Stage, dict[str, str]] = {}
        for s in at:
            by = {"ja": f"【{m.name}より】{{{{ town.contacts.desk }}}}（{{{{ town.contacts.phone }}}}）で相談を受け付けています。"}
            if "en" in locales and rng.random() < 0.5:
                by["en"] = f"From {m.name}: ask {{{{ town.contacts.desk }}}} ({{{{ town.contacts.phone }}}})."
            town_blocks[s] = by
        towns[m.code] = Town(
            code=m.code, name=m.name, prefecture=m.prefecture,
            contacts={"desk": "こども家庭センター", "phone": f"000-{i:04d}-{i % 10000:04d}",
                      "hours": "平日 8:30〜17:15", "url": f"https://t{m.code}.example.jp/"},
            services=services, checkup_months=(4, 10), send_time=f"{7 + i % 3:02d}:00",
            channels=CHANNEL_MIX[i % len(CHANNEL_MIX)], email_encoding="iso-2022-jp" if i % 2 else "utf-8",
            locales=locales, policy="extended" if extended else "reference",
            end_age=Stage.after_birth(7 if extended else 3), blocks=town_blocks)
    return towns


def _roster(towns: list[str]) -> dict[str, Reviewer]:
    data = yamlio.read(SAMPLE / ROSTER_FILE)
    from kizuna.catalog.roster import roster_from_data

    reviewers = roster_from_data(data, SAMPLE / ROSTER_FILE)
    present = set(towns)
    reviewers = {rid: replace(r, towns=tuple(c for c in r.towns if c in present) or tuple(towns[:1]))
                 if r.towns else r for rid, r in reviewers.items()}
    reviewers["kikaku"] = Reviewer("kikaku", "企画 一郎", ("town_editor",), tuple(towns), "kikaku@example.jp")
    return reviewers


def write_decisions(root: Path, rng: random.Random, approve_share: float) -> int:
    from kizuna.review.decisions import GENESIS, dumps_entry, log_path, seal
    from kizuna.review.signoff import all_items, effective_roles
    from kizuna.sample_decisions import signers

    ws = load_workspace(root)
    reviewers = list(ws.reviewers.values())
    seq, prev, lines = 0, GENESIS, []
    start = datetime.combine(TODAY - timedelta(days=30), time(9), tzinfo=JST)
    for n, item in enumerate(all_items(ws).values()):
        if rng.random() >= approve_share:
            continue
        for person in signers(item, reviewers, rng):
            seq += 1
            at = start + timedelta(minutes=seq)
            entry = seal({"at": at.isoformat(timespec="seconds"), "message": item.key, "locale": item.locale,
                          "town": item.town, "reviewer": person.id,
                          "roles": list(effective_roles(person, item.town)), "decision": "approve",
                          "comment": "", "stage": str(item.stage), "hash": item.content_hash, "text": item.text,
                          "required": dict(item.required)}, seq=seq, prev=prev)
            prev = entry["digest"]
            lines.append(dumps_entry(entry))
    log_path(root).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return seq


def _params_key(params: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps({**params, "v": GENERATOR_VERSION}, sort_keys=True).encode()).hexdigest()[:12]


def build_national_workspace(path: Path | None = None, *, messages: int = 1000, towns: int | None = None,
                             blocks_per_town: int = 3, approve_share: float = 0.85, seed: int = 7,
                             fresh: bool = False) -> Path:
    """Write the national benchmark workspace at ``path`` (default ``benchmarks/out/national``)
    and return its root. A workspace already there, built with the same parameters, is reused
    (``fresh`` rebuilds it). ``towns`` takes the first N municipalities (default: all 1,741)."""
    root = Path(path) if path is not None else OUT / "national"
    params = {"messages": messages, "towns": towns, "blocks": blocks_per_town, "approve": approve_share,
              "seed": seed}
    stamp = root / ".kizuna" / "bench-params"
    key = _params_key(params)
    if not fresh and stamp.is_file() and stamp.read_text().strip() == key:
        return root
    if root.exists():
        shutil.rmtree(root)
    (root / "messages").mkdir(parents=True)
    (root / "towns").mkdir()
    rng = random.Random(seed)
    config_data = yamlio.read(SAMPLE / CONFIG_FILE)
    config_data["title"] = "全国ベンチマーク（1,741市区町村）"
    config_data["policies"]["extended"] = EXTENDED
    config = config_from_data(config_data, root / CONFIG_FILE)
    from kizuna.review.coverage import milestones_from_data

    milestones = milestones_from_data(yamlio.read(SAMPLE / "milestones.yaml"), SAMPLE / "milestones.yaml")
    catalog = tag_milestones(national_messages(messages, rng), milestones)
    stages = sorted({m.stage for m in catalog.values()})
    town_map = national_towns(stages, rng, towns, blocks_per_town)
    ws = Workspace(root, config, catalog, town_map, _roster(list(town_map)))
    ws.save_all()
    shutil.copy(SAMPLE / "milestones.yaml", root / "milestones.yaml")
    write_gitignore(root)
    write_decisions(root, rng, approve_share)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key + "\n")
    return root


if __name__ == "__main__":  # pragma: no cover - a convenience
    import sys

    print(build_national_workspace(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
