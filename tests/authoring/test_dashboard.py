"""The dashboard notebook shipped with the sample, executed with nbclient in a copy of the sample
workspace (once for the module: it takes ~15 s), and its outputs and its HTML (nbconvert) checked."""
from __future__ import annotations

import base64
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from kizuna.demo import sample_root


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, nbformat.NotebookNode]:
    """A copy of the sample workspace and its dashboard, executed there."""
    root = tmp_path_factory.mktemp("dashboard") / "sample"
    shutil.copytree(sample_root(), root, ignore=shutil.ignore_patterns("out", ".ipynb_checkpoints"))
    nb = nbformat.read(str(root / "dashboard.ipynb"), as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(root)}}).execute()
    return root, nb


def _outputs(nb: nbformat.NotebookNode, cell_id: str) -> list[nbformat.NotebookNode]:
    return next(c for c in nb.cells if c.get("id") == cell_id).outputs


def _text(outputs: list[nbformat.NotebookNode]) -> str:
    return "\n".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in outputs)


def test_dashboard_is_shipped_clean() -> None:
    nb = nbformat.read(str(sample_root() / "dashboard.ipynb"), as_version=4)
    nbformat.validate(nb)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_dashboard_executes(executed: tuple[Path, nbformat.NotebookNode]) -> None:
    sample_path, nb = executed
    for cell in nb.cells:
        assert not [o for o in cell.get("outputs", []) if o.output_type == "error"], cell.id
    ws_title = _text(_outputs(nb, "load"))
    assert "messages" in ws_title and "towns" in ws_title
    findings = _outputs(nb, "findings")
    assert "findings: " in _text(findings) and any("text/html" in o.get("data", {}) for o in findings)
    images = [o.data["image/png"] for o in _outputs(nb, "coverage") if "image/png" in o.get("data", {})]
    assert images and base64.b64decode(images[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert (sample_path / "out" / "dashboard" / "coverage.png").is_file()
    queues = _text(_outputs(nb, "queues"))
    assert "status:" in queues
    roster = (sample_path / "roster.yaml").read_text(encoding="utf-8")
    for reviewer in ("sato", "yoshida"):
        assert reviewer in roster and reviewer in queues
    week = _text(_outputs(nb, "town-week"))
    assert "世田谷区 (131121)" in week and "7 messages" in week
    assert sum(line.startswith("2026-06-0") for line in week.splitlines()) == 7
    assert "【世田谷区より】" in week  # rendered with the town's block


def _table(soup: BeautifulSoup, first_header: str, header: str) -> list[dict[str, str]]:
    """The rows of the first table whose columns start with ``first_header`` and include ``header``."""
    for table in soup.find_all("table"):
        heads = [th.get_text(strip=True) for th in table.select("thead th")]
        if heads[:1] == [first_header] and header in heads:
            return [dict(zip(heads, (td.get_text(strip=True) for td in tr.find_all("td"))))
                    for tr in table.select("tbody tr")]
    raise AssertionError(f"no table with columns {first_header}, ..., {header}")


@pytest.mark.parametrize("template", ["lab", "classic"])
def test_dashboard_html_reads_cleanly(executed: tuple[Path, nbformat.NotebookNode], template: str) -> None:
    """As ``jupyter nbconvert --to html`` shows it: no NaN or float line numbers in the findings,
    the heatmap no wider than the page and described in words."""
    html, _ = HTMLExporter(template_name=template).from_notebook_node(executed[1])
    soup = BeautifulSoup(html, "html.parser")
    assert "NaN" not in html and "&lt;NA&gt;" not in html
    rows = _table(soup, "level", "line")
    assert rows and {r["level"] for r in rows} <= {"error", "warning"}
    for row in rows:
        assert re.fullmatch(r"[0-9]*", row["line"]) and re.fullmatch(r"[0-9]*", row["column"]), row
        assert row["message_id"] or row["town"], row  # a finding is about a message or a town
    assert any(r["line"] for r in rows)  # text findings keep their position, as integers
    images = soup.find_all("img")
    assert images
    for img in images:
        assert img["src"].startswith("data:image/png;base64,")
        assert "max-width: 100%" in img.get("style", "") and "height: auto" in img["style"]
        assert "配信カバレッジのヒートマップ" in img.get("alt", "")
