"""``kizuna survey form|import|summary|report`` on the sample and its synthetic responses."""
from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from kizuna.cli import main
from kizuna.surveys.forms import form_from_json

SYNTHETIC = Path("surveys") / "synthetic" / "responses-synthetic.csv"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_form_import_summary_report(sample_path: Path) -> None:
    w = ["-w", str(sample_path)]
    result = run(*w, "survey", "form", "--town", "202029")
    assert result.exit_code == 0, result.output
    forms = sample_path / "out" / "surveys" / "forms"
    assert sorted(p.name for p in forms.iterdir()) == [
        "form-core-202029-en.csv", "form-core-202029-en.json", "form-core-202029-ja.csv",
        "form-core-202029-ja.json", "form-core-202029.xlsx"]
    assert form_from_json((forms / "form-core-202029-en.json").read_bytes()).items[4].id == "helpful"

    result = run(*w, "survey", "import", str(sample_path / SYNTHETIC))
    assert result.exit_code == 0, result.output
    assert "480 response(s) stored in" in result.output and "synthetic -> -" in result.output

    result = run(*w, "survey", "summary", "--by", "town", "--by", "locale", "--format", "json")
    data = json.loads(result.output)
    yosano_en = [r for r in data["respondents"] if r["town"] == "264652" and r["locale"] != "ja"]
    assert all(r["suppressed"] and r["n"] is None for r in yosano_en)
    png = sample_path / "out" / "topics.png"
    result = run(*w, "survey", "summary", "--queue", "--png", str(png))
    assert result.exit_code == 0 and png.read_bytes()[:4] == b"\x89PNG" and "re-review queue:" in result.output

    result = run(*w, "survey", "report", "--town", "202029", "--town", "264652")
    assert result.exit_code == 0, result.output
    html = (sample_path / "out" / "surveys" / "reports" / "report-202029-2025.html").read_text(encoding="utf-8")
    assert "松本市（長野県）子育てメッセージ事業　2025年度 事業報告" in html and "合成データ" in html
    assert "survey-b04m-invitation" in html and "2024年度" in html  # invitations sent; trend across years
    assert "気持ちについての設問" in html  # the town's screening item, counts only
    assert "夜泣きで眠れない" not in html  # free text: themes only, never quotes
    small = (sample_path / "out" / "surveys" / "reports" / "report-264652-2025.html").read_text(encoding="utf-8")
    assert "5件未満" in small and "気持ちについての設問" not in small


def test_bad_input_exits_2_and_writes_nothing(sample_path: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    text = (sample_path / SYNTHETIC).read_text(encoding="utf-8")
    bad.write_text(text.replace("予防接種", "宇宙旅行", 1), encoding="utf-8")
    result = run("-w", str(sample_path), "survey", "import", str(bad))
    assert result.exit_code == 2
    assert re.search(r"row \d+, column '4\. 役に立った話題を選んでください（いくつでも）': '宇宙旅行'", result.output)
    assert not (sample_path / ".kizuna" / "surveys" / "responses").exists()
    result = run("-w", str(sample_path), "survey", "report")
    assert result.exit_code == 2 and "no survey responses are stored yet" in result.output
