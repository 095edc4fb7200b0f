"""Review packets: one HTML document per reviewer (their queue) or per batch of messages.

A packet is made in two steps, both in memory:

1. :func:`build_notebook` builds a *review notebook* with nbformat — a title cell, then one
   Markdown cell per item (message or town block, one locale) — and validates it. Every cell
   carries its item under the namespaced metadata key ``kizuna`` (``message``, ``locale``,
   ``state``, ``hash``), the notebook carries ``kizuna.packet`` (format version), reviewer,
   town and time, so the notebook is a faithful record of what was sent for review.
2. :func:`export_html` converts it with the ``kizuna-review`` nbconvert exporter
   (:mod:`review.packet_exporter`).

For each item the packet shows, Japanese first: the stage and its Japanese label, the sign-off
state and what is missing, the text, the findings of the checks (``review.checks`` when that
package is installed), the text as rendered in one sample town (national text + the town's
block), the difference from the last approved text (character level: deleted text struck
through, added text highlighted), and the decisions so far.

A packet for a reviewer's whole queue (dozens of items) must be navigable: the title cell holds a
table of contents (items grouped by sign-off state) and a summary table whose rows link to their
items (``#kz-item-N``, the item's heading; each item links back), with the number of findings per
item; the long parts of an item (the required approvals, the findings, the town rendering, the
decisions so far) are folded in ``<details>`` with a one-line ``<summary>`` (findings with an
error open), so the page shows the text, the state and the change at a glance.
"""
from __future__ import annotations

import difflib
import html
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Iterable, Sequence

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell, new_notebook

from kizuna.catalog import yamlio
from kizuna.catalog.errors import KizunaError, WorkspaceError
from kizuna.catalog.i18n import _
from kizuna.catalog.roster import ROLES, Reviewer, find_reviewer
from kizuna.catalog.templating import render_for_town, stage_context
from kizuna.catalog.towns import Town
from kizuna.catalog.workspace import ROSTER_FILE, Workspace
from kizuna.review.annotations import Annotation, collect, flagged_keys
from kizuna.review.decisions import Decision
from kizuna.review.findings import Finding, in_language, sort_findings
from kizuna.review.signoff import (DECISION_LABELS_JA, Item, Key, MessageStatus, all_items, as_moment,
                            queue, status)

PACKET_VERSION = 1
LEVEL_LABELS_JA = {"error": "エラー", "warning": "注意", "info": "参考"}


# small HTML pieces (pure) ---------------------------------------------------------------------
def esc(text: str) -> str:
    """Escape for HTML inside a Markdown cell: no blank line may end the HTML block, and ``$``
    must not start math."""
    return html.escape(text).replace("$", "&#36;").replace("\n", "<br>\n")


def text_html(text: str, css: str = "kz-text") -> str:
    return f'<div class="{css}">{esc(text)}</div>'


def diff_segments(old: str, new: str, *, min_equal: int = 2) -> list[tuple[str, str, bool]]:
    """``(old part, new part, unchanged)`` runs of a character-level diff, with unchanged islands
    shorter than ``min_equal`` between two changes folded into them (``日程を考え`` ->
    ``予定を立て`` reads as one change, not four)."""
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    runs: list[tuple[str, str, bool]] = []
    for k, (op, i1, i2, j1, j2) in enumerate(opcodes):
        same = op == "equal" and not (0 < k < len(opcodes) - 1 and i2 - i1 < min_equal)
        if runs and not same and not runs[-1][2]:
            runs[-1] = (runs[-1][0] + old[i1:i2], runs[-1][1] + new[j1:j2], False)
        else:
            runs.append((old[i1:i2], new[j1:j2], same))
    return runs


def diff_html(old: str, new: str) -> str:
    """Difference of ``old`` -> ``new``: ``<del>`` for removed, ``<ins>`` for added text, at the
    character level (Japanese has no spaces, so words are no unit)."""
    parts = []
    for before, after, same in diff_segments(old, new):
        if same:
            parts.append(esc(after))
            continue
        if before:
            parts.append(f'<del class="kz-del">{esc(before)}</del>')
        if after:
            parts.append(f'<ins class="kz-ins">{esc(after)}</ins>')
    return f'<div class="kz-diff">{"".join(parts)}</div>'


def role_label(role: str) -> str:
    return ROLES.get(role, role)


def table_html(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table; cells are HTML already escaped by the caller."""
    th = "".join(f"<th>{h}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def fold(summary: str, body: str, *, open_: bool = False, css: str = "kz-fold") -> str:
    """A ``<details>`` block (closed unless ``open_``): ``summary`` is the one line shown, ``body``
    the folded HTML (both escaped by the caller; one HTML block, so no blank line inside)."""
    return f'<details class="{css}"{" open" if open_ else ""}><summary>{summary}</summary>\n{body}\n</details>'


def item_anchor(index: int) -> str:
    """The HTML id of the ``index``-th item (1-based), the same as its cell id."""
    return f"kz-item-{index}"


SUMMARY_ID, TOC_ID = "kz-summary", "kz-toc"


def finding_counts(findings: Sequence[Finding] | None) -> dict[str, int]:
    """Counting findings per level (ignored ones do not count), in level order."""
    counts = {level: 0 for level in LEVEL_LABELS_JA}
    for f in findings or ():
        if f.counts:
            counts[f.level] += 1
    return {level: n for level, n in counts.items() if n}


def counts_label(findings: Sequence[Finding] | None) -> str:
    """``エラー 1・注意 2`` / ``なし`` / ``—`` (not checked): plain text."""
    if findings is None:
        return "—"
    counts = finding_counts(findings)
    return "・".join(f"{LEVEL_LABELS_JA[level]} {n}" for level, n in counts.items()) or "なし"


def badge(st: MessageStatus) -> str:
    return f'<span class="kz-badge kz-state-{st.state}">{st.label_ja}</span>'


def requirement_html(st: MessageStatus) -> str:
    rows = []
    for role, need in st.required.items():
        have = need - st.missing_roles.get(role, 0)
        rows.append([esc(role_label(role)), str(need), str(have), "✓" if have >= need else "未"])
    return table_html(["必要な役割", "必要数", "有効な承認", ""], rows)


def findings_html(findings: Sequence[Finding] | None, note: str = "") -> str:
    if findings is None:
        return f'<p class="kz-note">{esc(note or "チェックは利用できません（checks not available）")}</p>'
    if not findings:
        return '<p class="kz-note">指摘はありません。</p>'
    items = []
    for f in sort_findings(findings):
        where = (f"[{f.town}] " if f.town else "") + (f"{f.line}行{f.column}列 " if f.line else "")
        level = f'<span class="kz-level-{f.level}">{LEVEL_LABELS_JA.get(f.level, f.level)}</span>'
        text = f"{level} {esc(where)}{esc(f.message)} <code>{esc(f.rule)}</code>"
        if f.suggestion:
            text += f"<br>\n提案：{esc(f.suggestion)}"
        if f.ignored_reason:
            text = f'<span class="kz-ignored">{text}</span><br>\n除外の理由：{esc(f.ignored_reason)}'
        items.append(f"<li>{text}</li>")
    return f"<ul>{''.join(items)}</ul>"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def decisions_html(decisions: Sequence[Decision], current_hash: str, names: dict[str, str]) -> str:
    if not decisions:
        return '<p class="kz-note">まだ判断はありません。</p>'
    rows = []
    for d in decisions:
        version = "現在の本文" if d.content_hash == current_hash else f'<span class="kz-old">以前の本文（{esc(d.stage)}）</span>'
        rows.append([esc(_when(d.at)), esc(names.get(d.reviewer, d.reviewer)),
                     esc("・".join(role_label(r) for r in d.roles)), esc(DECISION_LABELS_JA[d.decision]),
                     esc(d.comment) or "—", version])
    return table_html(["日時", "レビュアー", "役割", "判断", "コメント", "対象"], rows)


def has_diff(st: MessageStatus) -> bool:
    """Whether the item was approved once and has changed since (text or stage)."""
    return st.approved_text is not None and st.approved_hash != st.current_hash


def section(title: str) -> str:
    """A section heading inside an item (plain HTML: no anchor of its own, so the ids of a packet
    stay unique)."""
    return f'<h3 class="kz-section">{title}</h3>'


def text_section(st: MessageStatus, item: Item) -> str:
    """The text: with the changes marked when it changed since its last approval (the clean
    text folded below), else as it is, with a one-line note."""
    if has_diff(st):
        return "\n\n".join([section("本文 — 前回承認版との差分"), diff_section(st, item),
                              fold("変更後の本文（印なし）", text_html(item.text))])
    return "\n\n".join([section("本文"), text_html(item.text), diff_section(st, item)])


def diff_section(st: MessageStatus, item: Item) -> str:
    if st.approved_text is None:
        return '<p class="kz-note">まだ承認された版がありません（初回のレビューです）。</p>'
    if st.approved_hash == st.current_hash:
        return '<p class="kz-note">前回承認された版から変更はありません。</p>'
    note = ""
    if st.approved_stage and st.approved_stage != str(item.stage):
        note = f'<p class="kz-note">ステージ：{esc(st.approved_stage)} → {esc(str(item.stage))}</p>\n'
    when = f"（{_when(st.approved_at)} 承認）" if st.approved_at else ""
    return (f'{note}<p class="kz-note">前回承認された版{esc(when)}からの変更：'
            '<del class="kz-del">削除</del> <ins class="kz-ins">追加</ins></p>\n'
            + diff_html(st.approved_text, item.text))


# the parts that read the workspace -------------------------------------------------------------
@dataclass(frozen=True)
class Preview:
    town: Town | None
    html: str


def town_preview(ws: Workspace, item: Item, town: Town | None) -> Preview:
    """The item as read in ``town`` (a block or local message: its own town)."""
    if item.town is not None:
        town = ws.towns[item.town]
    if town is None:
        return Preview(None, '<p class="kz-note">表示例に使える自治体がありません。</p>')
    context = {"town": town.template_context(), "stage": stage_context(item.stage)}
    national, block = ("", item.text) if item.is_block else (item.text, town.block(item.stage, item.locale,
                                                                                   ws.config.source_locale))
    try:
        rendered = render_for_town(national or "", block, context, town=town.code, message=item.key,
                                   locale=item.locale)
    except KizunaError as exc:
        return Preview(town, f'<p class="kz-level-error">表示できません：{esc(exc.message)}</p>')
    parts = [esc(rendered.national)] if rendered.national else []
    if rendered.block:
        parts.append(f'<span class="kz-block">{esc(rendered.block)}</span>')
    return Preview(town, f'<div class="kz-text kz-town">{"".join(parts)}</div>')


def item_findings(ws: Workspace, item: Item) -> tuple[list[Finding] | None, str]:
    """Findings of ``review.checks.check_message`` for a message, imported lazily; ``None`` with
    a note when the checks are not installed or do not apply (town blocks)."""
    if item.message is None:
        return None, "町ブロックの検査は kizuna check で行います。"
    try:
        from kizuna.review.checks import check_message  # noqa: PLC0415 - optional, written separately
    except ImportError:
        return None, "チェックは利用できません（checks not available）"
    try:
        with in_language():  # a packet is a Japanese-first document, whatever the CLI speaks
            return list(check_message(ws, item.message, item.locale)), ""
    except KizunaError as exc:
        return None, f"チェックを実行できませんでした：{exc.message}"


Checked = tuple[list[Finding] | None, str]


def item_cell(ws: Workspace, item: Item, st: MessageStatus, town: Town | None, names: dict[str, str],
              index: int, checked: Checked | None = None, notes: Sequence[Annotation] = ()) -> NotebookNode:
    """One Markdown cell for one item; ``checked`` is :func:`item_findings` of the item when the
    caller has it already; ``notes`` are annotations from other parts (readers' evidence)."""
    preview = town_preview(ws, item, town)
    findings, note = checked if checked is not None else item_findings(ws, item)
    where = f"{ws.towns[item.town].name}（{item.town}）の" if item.town and item.town in ws.towns else ""
    kind = "町ブロック" if item.is_block else ("独自メッセージ" if item.town else "メッセージ")
    missing = "・".join(f"{role_label(r)}×{n}" for r, n in st.missing_roles.items())
    reasons = "".join(f"<br>\n{esc(r)}" for r in st.reasons)
    town_name = f"（{esc(preview.town.name)}）" if preview.town else ""
    have = sum(need - st.missing_roles.get(role, 0) for role, need in st.required.items())
    need = sum(st.required.values())
    counts = finding_counts(findings)
    shown = len(st.decisions)
    source = "\n\n".join([
        f'<h2 id="{item_anchor(index)}" class="kz-item-title">{index}. {esc(str(item.stage))} '
        f"{esc(item.stage.label_ja)} — {esc(where)}{kind} <code>{esc(item.key)}</code>（{esc(item.locale)}）</h2>",
        f'<p>{badge(st)} <span class="kz-meta">{esc("不足：" + missing) if missing else "必要な承認がそろっています"}'
        f'{reasons}</span> <a class="kz-back" href="#{SUMMARY_ID}">↑ 一覧へ</a></p>',
        text_section(st, item),
        fold(f"チェック結果：{esc(counts_label(findings))}", findings_html(findings, note),
             open_="error" in counts),
        fold(f"自治体での表示例{town_name}", preview.html),
        fold(f"必要な承認：{have}/{need}", requirement_html(st)),
        fold(f"これまでの判断：{shown}件", decisions_html(st.decisions, st.current_hash, names)) if shown
        else '<p class="kz-note">これまでの判断：まだありません。</p>',
        *[f"### {esc(n.title)}\n\n" + "".join(f"<p>{esc(line)}</p>" for line in n.lines) for n in notes],
    ])
    cell = new_markdown_cell(source, id=item_anchor(index))
    cell.metadata["kizuna"] = {"message": item.key, "locale": item.locale, "state": st.state,
                               "hash": st.current_hash, "town": item.town}
    return cell


def toc_html(statuses: Sequence[MessageStatus]) -> str:
    """The table of contents: the summary table, then the items grouped by state (in the order
    the states first appear), each item a link to its heading."""
    groups: dict[str, list[tuple[int, MessageStatus]]] = {}
    for i, st in enumerate(statuses, 1):
        groups.setdefault(st.state, []).append((i, st))
    lines = [f'<li><a href="#{SUMMARY_ID}">一覧（{len(statuses)}件）</a></li>']
    for members in groups.values():
        links = "、".join(f'<a href="#{item_anchor(i)}">{i}. {esc(st.message_id)}（{esc(st.locale)}）</a>'
                         for i, st in members)
        lines.append(f"<li>{badge(members[0][1])} {len(members)}件：{links}</li>")
    return (f'<nav class="kz-toc" id="{TOC_ID}" aria-label="目次"><strong>目次</strong>'
            f'<ul>{"".join(lines)}</ul></nav>')


def summary_html(statuses: Sequence[MessageStatus], findings: Sequence[list[Finding] | None] | None) -> str:
    """The summary table: one row per item, linking to it, with its state and findings."""
    rows = []
    for i, st in enumerate(statuses, 1):
        href = f"#{item_anchor(i)}"
        count = counts_label(findings[i - 1]) if findings is not None else "—"
        rows.append([f'<a href="{href}">{i}</a>', esc(str(st.stage)),
                     f'<a href="{href}"><code>{esc(st.message_id)}</code></a>', esc(st.locale), badge(st),
                     esc(count)])
    table = table_html(["#", "ステージ", "ID", "言語", "状態", "指摘"], rows)
    return table.replace("<table>", f'<table id="{SUMMARY_ID}" class="kz-summary">', 1)


def title_cell(ws: Workspace, reviewer: Reviewer | None, statuses: Sequence[MessageStatus],
               town: Town | None, now: datetime,
               findings: Sequence[list[Finding] | None] | None = None) -> NotebookNode:
    """The first cell: who and what the packet is for, a table of contents and the summary table
    (``findings``: each item's findings, in order, for the summary's 指摘 column)."""
    who = f"{reviewer.name}（{'・'.join(role_label(r) for r in reviewer.roles)}）" if reviewer else "一括"
    counts: dict[str, int] = {}
    for st in statuses:
        counts[st.label_ja] = counts.get(st.label_ja, 0) + 1
    summary = "、".join(f"{label} {n}件" for label, n in counts.items()) or "対象はありません"
    source = "\n\n".join([
        f"# レビュー資料 — {esc(who)}",
        f'<p class="kz-meta">{esc(ws.config.title or "kizuna")}　作成：{esc(_when(now))}　'
        f"表示例の自治体：{esc(town.name if town else 'なし')}</p>",
        f"<p>{len(statuses)}件：{esc(summary)}</p>",
        toc_html(statuses) if statuses else "",
        summary_html(statuses, findings) if statuses else "",
        '<p class="kz-note">承認・修正依頼・コメントは <code>kizuna review decide</code> '
        "またはワークブックから記録します。本文が変わると承認は無効になります。"
        "各項目のチェック結果・表示例・承認・判断の記録は、▶ の行をクリックすると開きます。</p>",
    ])
    return new_markdown_cell(source, id="kz-title")


def build_notebook(ws: Workspace, keys: Sequence[Key], *, reviewer: Reviewer | None = None,
                   town: str | None = None, now: datetime | date | None = None) -> NotebookNode:
    """The review notebook for ``keys`` (validated with nbformat)."""
    statuses = status(ws, now=now)
    items = all_items(ws)
    unknown = [k for k in keys if k not in items]
    if unknown:
        raise WorkspaceError(_("nothing to review under {items}; check the message ids and locales").format(
            items=", ".join(f"{m} ({loc})" for m, loc in unknown)))
    sample_town = ws.town(town) if town else next(iter(ws.towns.values()), None)
    moment = as_moment(now)
    names = {r.id: r.name for r in ws.reviewers.values()}
    chosen = [statuses[k] for k in keys]
    checked = [item_findings(ws, items[k]) for k in keys]
    cells = [title_cell(ws, reviewer, chosen, sample_town, moment, [f for f, _ in checked])]
    notes = collect(ws)
    cells += [item_cell(ws, items[k], statuses[k], sample_town, names, i, checked[i - 1], notes.get(k[0], ()))
              for i, k in enumerate(keys, 1)]
    nb = new_notebook(cells=cells)
    nb.metadata["title"] = f"レビュー資料 — {reviewer.name if reviewer else '一括'}"
    nb.metadata["kizuna"] = {"packet": PACKET_VERSION, "reviewer": reviewer.id if reviewer else None,
                             "town": sample_town.code if sample_town else None,
                             "generated": moment.isoformat(timespec="seconds")}
    nbformat.validate(nb)
    return nb


def export_html(nb: NotebookNode) -> str:
    """Convert a (review) notebook to HTML with the ``kizuna-review`` exporter."""
    from kizuna.review.packet_exporter import KizunaReviewExporter  # noqa: PLC0415 - nbconvert is slow to import

    body, _ = KizunaReviewExporter().from_notebook_node(nb)
    return body


def packet_keys(ws: Workspace, *, reviewer: Reviewer | None = None, message_ids: Sequence[str] = (),
                now: datetime | date | None = None) -> list[Key]:
    """The items of a packet: every locale of the named messages or blocks, else the reviewer's
    queue."""
    if message_ids:
        items = all_items(ws)
        wanted = set(message_ids)
        keys = [k for k in items if k[0] in wanted]
        missing = wanted - {k[0] for k in keys}
        if missing:
            raise WorkspaceError(_("no message or town block {ids} in this workspace; check the ids (a town block "
                                   "is town:CODE:STAGE)").format(ids=", ".join(sorted(missing))))
        return keys
    if reviewer is None:
        raise KizunaError(_("name a reviewer (--by) or the messages (--message) for the packet"))
    keys = queue(ws, reviewer.id, now=now)
    return keys + flagged_keys(ws, reviewer.id, collect(ws), skip=set(keys))


def write_packet(ws: Workspace, out: Path, *, reviewer: str | None = None, message_ids: Sequence[str] = (),
                 town: str | None = None, now: datetime | date | None = None,
                 notebook: Path | None = None) -> tuple[Path, int]:
    """Write the HTML packet to ``out`` (and the review notebook to ``notebook`` if given);
    returns the path and the number of items."""
    person = find_reviewer(ws.reviewers, reviewer, ws.root / ROSTER_FILE) if reviewer else None
    keys = packet_keys(ws, reviewer=person, message_ids=message_ids, now=now)
    nb = build_notebook(ws, keys, reviewer=person, town=town, now=now)
    if notebook is not None:
        yamlio.write_atomic(notebook, nbformat.writes(nb))
    yamlio.write_atomic(out, export_html(nb))
    return out, len(keys)
