"""A new format plugs in through the ``kizuna.exporters`` entry point group, with no change to
kizuna: here a real (tmp) distribution declares one and ``kizuna export --format`` uses it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kizuna.catalog.workspace import Workspace
from kizuna.exports import registry
from kizuna.exports.runner import ExportRequest, run_export

PLUGIN = '''
"""A fax-sheet exporter, as a third party would write it."""
from kizuna.exports.model import OutputFile


class FaxExporter:
    description = "one plain-text fax sheet per town and locale"

    def export(self, catalog, options):
        header = options.get("header", "FAX")
        lines = [f"{header} {catalog.town.name} {catalog.locale}"]
        lines += [f"{e.stage} {e.delivered_text}" for e in catalog.entries]
        return [OutputFile("fax.txt", "\\n".join(lines).encode("utf-8"))]
'''


@pytest.fixture
def fax_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    site = tmp_path / "site"
    (site / "kizuna_fax-0.1.dist-info").mkdir(parents=True)
    (site / "kizuna_fax-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: kizuna-fax\nVersion: 0.1\n")
    (site / "kizuna_fax-0.1.dist-info" / "entry_points.txt").write_text(
        "[kizuna.exporters]\nfax = kizuna_fax:FaxExporter\n")
    (site / "kizuna_fax.py").write_text(PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    registry.discovered.cache_clear()
    registry.get.cache_clear()
    yield
    sys.modules.pop("kizuna_fax", None)
    registry.discovered.cache_clear()
    registry.get.cache_clear()


def test_entry_point_format(fax_plugin, ws: Workspace, signoff, tmp_path: Path) -> None:
    assert "fax" in registry.names()
    run_export(ws, ExportRequest(towns=("264652",), formats=("json", "fax"), jobs=1), tmp_path / "out")
    sheet = (tmp_path / "out/264652/ja/fax.txt").read_text(encoding="utf-8")
    assert sheet.startswith("FAX 与謝野町 ja\nP10w 妊娠10週のメッセージです。")
