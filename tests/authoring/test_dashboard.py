"""The dashboard notebook shipped with the sample, executed with nbclient in a copy of the sample
workspace, and its outputs checked."""
from __future__ import annotations

import base64
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from kizuna.demo import sample_root


def _outputs(nb: nbformat.NotebookNode, cell_id: str) -> list[nbformat.NotebookNode]:
    return next(c for c in nb.cells if c.get("id") == cell_id).outputs


def _text(outputs: list[nbformat.NotebookNode]) -> str:
    return "\n".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in outputs)


def test_dashboard_is_shipped_clean() -> None:
    nb = nbformat.read(str(sample_root() / "dashboard.ipynb"), as_version=4)
    nbformat.validate(nb)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_dashboard_executes(sample_path: Path) -> None:
    nb = nbformat.read(str(sample_path / "dashboard.ipynb"), as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(sample_path)}}).execute()
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
