"""``kizuna check``, ``kizuna lint`` and ``kizuna coverage`` as a user runs them: output formats,
exit codes (0 clean, 1 error-level findings, 2 bad input) and valid SARIF 2.1.0."""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from kizuna.catalog import yamlio
from kizuna.cli import main
from tests.conftest import SMALL_CONFIG, SMALL_TOWN, small_message

#: The parts of the SARIF 2.1.0 schema (sarif-schema-2.1.0.json) a consumer relies on: required
#: properties, the level and suppression enumerations, 1-based regions.
SARIF_SUBSET = {
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "version": {"const": "2.1.0"},
        "$schema": {"type": "string", "format": "uri"},
        "runs": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "rules": {"type": "array", "items": {
                        "type": "object", "required": ["id"],
                        "properties": {"defaultConfiguration": {"properties": {
                            "level": {"enum": ["none", "note", "warning", "error"]}}}}}}}}}},
                "results": {"type": "array", "items": {
                    "type": "object", "required": ["message"],
                    "properties": {
                        "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": 0},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": {"type": "object", "required": ["text"]},
                        "locations": {"type": "array", "items": {"type": "object", "properties": {
                            "physicalLocation": {"type": "object", "properties": {
                                "artifactLocation": {"type": "object", "properties": {"uri": {"type": "string"}}},
                                "region": {"type": "object", "properties": {
                                    "startLine": {"type": "integer", "minimum": 1},
                                    "startColumn": {"type": "integer", "minimum": 1}}}}}}}},
                        "suppressions": {"type": "array", "items": {
                            "type": "object", "required": ["kind"],
                            "properties": {"kind": {"enum": ["inSource", "external"]},
                                           "justification": {"type": "string"}}}}}}}}}},
    },
}


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def drop_fallbacks(root: Path) -> None:
    """Without fallbacks, untranslated messages leave gaps in the en and ja-easy calendars."""
    config = root / "kizuna.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("fallbacks:\n  ja-easy: ja\n  en: ja\n", ""), encoding="utf-8")
    assert "fallbacks" not in config.read_text(encoding="utf-8")


def test_check_text_output_and_exit_code_on_the_sample(sample_path: Path) -> None:
    result = run("-w", str(sample_path), "check", "--town", "264652")
    assert result.exit_code == 0, result.output  # 与謝野町: complete calendar, warnings only
    assert "errors," in result.output.splitlines()[-1]
    result = run("-w", str(sample_path), "check")
    assert result.exit_code == 0 and "coverage/fallback" in result.output
    drop_fallbacks(sample_path)
    result = run("-w", str(sample_path), "check")
    assert result.exit_code == 1 and "coverage/gap" in result.output


def test_check_sarif_is_valid_and_places_findings_in_the_file(sample_path: Path) -> None:
    drop_fallbacks(sample_path)
    result = run("-w", str(sample_path), "check", "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.output)
    jsonschema.validate(log, SARIF_SUBSET, format_checker=jsonschema.FormatChecker())
    results = log["runs"][0]["results"]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    # a finding about many towns (a gap of the national catalog) has no one file to point at
    placed = [r for r in results if "region" in r.get("locations", [{}])[0].get("physicalLocation", {})]
    assert placed
    first = placed[0]
    uri = first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    region = first["locations"][0]["physicalLocation"]["region"]
    line = (sample_path / uri).read_text(encoding="utf-8").splitlines()[region["startLine"] - 1]
    assert len(line) >= region["startColumn"]


def test_check_json_and_suppressions(make_workspace) -> None:
    msg = small_message("p08w-hello", "P8w", "手を洗え。", ignore=[{"rule": "tone/command", "reason": "標語の引用"}])
    root = make_workspace(messages=[msg], towns=[{**SMALL_TOWN, "locales": ["ja"], "policy": "reference"}])
    data = json.loads(run("-w", str(root), "check", "--format", "json", "--locale", "ja").output)
    (ignored,) = [f for f in data if f["rule"] == "tone/command"]
    assert ignored["ignored_reason"] == "標語の引用"
    sarif = json.loads(run("-w", str(root), "check", "--format", "sarif").output)
    suppressed = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert suppressed[0]["suppressions"] == [{"kind": "inSource", "justification": "標語の引用"}]


def test_check_bad_input_exits_2(make_workspace) -> None:
    root = make_workspace(config={**SMALL_CONFIG, "checks": {"rules": {"tone/nope": False}}})
    result = run("-w", str(root), "check")
    assert result.exit_code == 2 and "kizuna.yaml" in result.output and "tone/nope" in result.output
    good = make_workspace(name="ws2")
    assert run("-w", str(good), "check", "--town", "011002").exit_code == 2
    assert run("-w", str(good), "check", "--locale", "fr").exit_code == 2
    yamlio.write(good / "milestones.yaml", {"milestones": [{"id": "x"}]})
    result = run("-w", str(good), "check")
    assert result.exit_code == 2 and "milestones.yaml" in result.output


def test_lint_plain_and_markdown_files(tmp_path: Path) -> None:
    draft = tmp_path / "draft.md"
    draft.write_text("# 見出し\n\n手を洗え。お刺身を食べれない。\n\n```\n洗え\n```\n", encoding="utf-8")
    result = run("lint", "--format", "json", str(draft))
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert [(d["rule"], d["line"], d["column"]) for d in data] == [("tone/command", 3, 3), ("tone/ranuki", 3, 12)]
    assert all({"rule", "level", "path", "line", "column", "message"} <= set(d) for d in data)
    assert run("lint", "--strict", str(draft)).exit_code == 1
    result = run("lint", "--locale", "en", "-", input="Take things at your own pace today.\n")
    assert result.exit_code == 0 and "0 errors" in result.output
    missing = run("lint", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2 and "file not found" in missing.output


def test_lint_reads_the_checks_settings_of_the_workspace_around(make_workspace, monkeypatch) -> None:
    root = make_workspace(config={**SMALL_CONFIG, "checks": {"rules": {"tone/ranuki": {"level": "error"}}}})
    (root / "draft.txt").write_text("食べれない。", encoding="utf-8")
    monkeypatch.chdir(root)
    assert run("lint", "draft.txt").exit_code == 1


def test_coverage_command_text_json_and_png(sample_path: Path, tmp_path: Path) -> None:
    png = tmp_path / "cov.png"
    result = run("-w", str(sample_path), "coverage", "--town", "202029", "--png", str(png))
    assert result.exit_code == 0 and png.is_file()
    assert "202029 松本市 [ja]: 81 slots, 81 ok (0 in a fallback locale), 0 gaps, 0 collisions" in result.output
    # en: the slots with no signed-off English text (untranslated, or a translation that may
    # not ship) are sent in Japanese (how many depends on the sample's sign-off log)
    en = re.search(r"202029 松本市 \[en\]: 81 slots, 81 ok \((\d+) in a fallback locale\), 0 gaps, 0 collisions",
                   result.output)
    assert en and 40 < int(en.group(1)) < 81
    data = json.loads(run("-w", str(sample_path), "coverage", "--town", "264652", "--format", "json").output)
    (row,) = data["towns"]
    assert row == {"town": "264652", "name": "与謝野町", "locale": "ja", "slots": 81, "ok": 81,
                   "gaps": 0, "collisions": 0, "fallback": 0, "unsent": row["unsent"]}
    assert 0 <= row["unsent"] < 81


def test_coverage_against_the_daily_reference_policy_shows_its_gaps(sample_path: Path) -> None:
    result = run("-w", str(sample_path), "coverage", "--town", "264652", "--policy", "reference")
    assert result.exit_code == 1
    line = next(l for l in result.output.splitlines() if l.startswith("264652 与謝野町 [ja]"))
    ok, gaps = (int(n) for n in re.search(r"535 slots, (\d+) ok .*, (\d+) gaps", line).groups())
    assert ok + gaps == 535 and gaps > 400  # the daily reference cadence is far from covered
    assert "coverage/off-cadence" in result.output  # month stages do not fall on its day slots
    bad = run("-w", str(sample_path), "coverage", "--policy", "hourly")
    assert bad.exit_code == 2 and "unknown cadence policy 'hourly'" in bad.output


TOWN_YAML = """\
code: '202029'
name: 松本市
prefecture: 長野県
contacts: {desk: こども育成課, phone: 000-0000-0001, hours: 平日, url: https://matsumoto.example.jp/}
checkup_months: [4, 10]
send_time: 08:00
channels: [line]
locales: [ja]
policy: tiny
end_age: 1y
blocks:
  B0d: 【松本市より】{{ town.mayor }}が出生届を受け付けます。
  B1d:
    ja: |-
      【松本市より】一行目です。
      二行目の{{ town.nope }}です。
local_messages:
  - id: 202029-b2d
    stage: B2d
    topics: [daily-life]
    texts:
      ja:
        text: |-
          今日は松本市からです。
          夜は早く寝ろ。
"""


def _region_text(root: Path, result: dict) -> str:
    physical = result["locations"][0]["physicalLocation"]
    region = physical["region"]
    line = (root / physical["artifactLocation"]["uri"]).read_text(encoding="utf-8").splitlines()[region["startLine"] - 1]
    return line[region["startColumn"] - 1:]


def test_sarif_regions_point_into_town_blocks_local_messages_and_plain_scalars(make_workspace) -> None:
    """Regions come from the YAML node tree: a one-line plain block, a per-locale literal block,
    a local message after the blocks, a plain one-line message text."""
    msg = small_message("p08w-hello", "P8w", "😀赤ちゃんを見れる日です。")
    root = make_workspace(messages=[msg], towns=[])
    (root / "towns" / "202029.yaml").write_text(TOWN_YAML, encoding="utf-8")
    message_file = root / "messages" / "p08w-hello.yaml"
    message_file.write_text(message_file.read_text(encoding="utf-8").replace("text: |-\n      ", "text: "),
                            encoding="utf-8")
    assert "text: 😀赤ちゃん" in message_file.read_text(encoding="utf-8")
    log = json.loads(run("-w", str(root), "check", "--format", "sarif", "--locale", "ja").output)
    run_ = log["runs"][0]
    assert run_["columnKind"] == "unicodeCodePoints"
    by_rule = {}
    for r in run_["results"]:
        if "region" in r["locations"][0].get("physicalLocation", {}):
            by_rule.setdefault(r["ruleId"], []).append(r)
    ranuki = by_rule["tone/ranuki"][0]
    assert _region_text(root, ranuki).startswith("れる日です")  # the emoji counts as one code point
    command = by_rule["tone/command"][0]
    assert command["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "towns/202029.yaml"
    assert _region_text(root, command).startswith("寝ろ。")
    templates = {r["properties"].get("stage"): r for r in by_rule["template/variables"]}
    assert _region_text(root, templates["B0d"]).startswith("town.mayor")
    assert _region_text(root, templates["B1d"]).startswith("town.nope")
    text_out = run("-w", str(root), "check", "--locale", "ja").output
    assert "towns/202029.yaml:25:15: warning tone/command [202029-b2d ja]" in text_out  # file line:col
    assert "messages/p08w-hello.yaml:7:18: warning tone/ranuki" in text_out


def test_json_findings_carry_the_file_position(make_workspace) -> None:
    root = make_workspace(messages=[small_message("p08w-hello", "P8w", "一行目です。\n手を洗え。")])
    data = json.loads(run("-w", str(root), "check", "--format", "json", "--locale", "ja").output)
    (f,) = [d for d in data if d["rule"] == "tone/command"]
    assert (f["line"], f["column"]) == (2, 3)
    lines = (root / f["path"]).read_text(encoding="utf-8").splitlines()
    assert lines[f["file_line"] - 1][f["file_column"] - 1:].startswith("洗え")


def test_an_ignore_naming_no_rule_is_bad_input(make_workspace) -> None:
    msg = small_message("p08w-hello", "P8w", "手を洗え。", ignore=[{"rule": "tone/comand", "reason": "標語の引用"}])
    root = make_workspace(messages=[msg])
    result = run("-w", str(root), "check")
    assert result.exit_code == 2
    assert "messages/p08w-hello.yaml" in result.output and "ignore[0].rule" in result.output
    assert "tone/command" in result.output  # did you mean


def test_lint_reads_standard_input_as_markdown_on_request() -> None:
    draft = "# 見出し\n\n- `洗え` はコード\n- 手を洗え。\n"
    found = json.loads(run("lint", "--markdown", "--format", "json", "-", input=draft).output)
    assert [(d["rule"], d["line"], d["column"]) for d in found] == [("tone/command", 4, 5)]


def test_remembered_text_positions_are_those_of_the_files_as_they_are_now(sample_path: Path) -> None:
    """`kizuna check` keeps where each text starts in its file (.kizuna/cache/positions.pickle):
    the lines it prints are the ones read afresh, also after a file changed."""
    from kizuna.catalog.workspace import load_workspace
    from kizuna.review.checks import run_checks
    from kizuna.review.checks.sarif import Origins, file_position

    def positions(origins: Origins | None) -> list:
        findings = run_checks(load_workspace(sample_path))
        found = [file_position(f, sample_path, origins if origins is not None else {}) for f in findings]
        if origins is not None:
            origins.save()
        return found

    fresh = positions(None)
    assert sum(p is not None for p in fresh) > 20
    first = Origins(sample_path)
    assert positions(first) == fresh and first.parsed
    second = Origins(sample_path)
    assert positions(second) == fresh and not second.parsed  # nothing composed again
    moved = sorted((sample_path / "messages").glob("*.yaml"))[3]
    moved.write_text("# a note on top\n" + moved.read_text(encoding="utf-8"), encoding="utf-8")
    again = positions(None)
    assert again != fresh and positions(Origins(sample_path)) == again
