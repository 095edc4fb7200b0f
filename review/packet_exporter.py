"""The ``kizuna-review`` nbconvert exporter: a lean, self-contained HTML page for review packets.

Registered in the ``nbconvert.exporters`` entry point group (``pyproject.toml``), so any
notebook converts with ``jupyter nbconvert --to kizuna-review some.ipynb`` and
``nbconvert.exporters.get_exporter("kizuna-review")`` finds it. It is an
:class:`~nbconvert.exporters.HTMLExporter` with kizuna's template
(``review/templates/kizuna-review``: nbconvert's classic cell rendering inside our own page and
stylesheet; no scripts or external files of its own, no prompts, ``lang="ja"``). It knows
nothing about workspaces: :mod:`review.packet` builds the review notebook and hands it over.
"""
from __future__ import annotations

from pathlib import Path

from nbconvert.exporters import HTMLExporter
from traitlets import default

TEMPLATES_DIR = Path(__file__).with_name("templates")
TEMPLATE_NAME = "kizuna-review"


class KizunaReviewExporter(HTMLExporter):
    """HTML for review packets (``--to kizuna-review``)."""

    export_from_notebook = "Kizuna review packet"

    @default("template_name")
    def _template_name_default(self) -> str:
        return TEMPLATE_NAME

    @default("extra_template_basedirs")
    def _default_extra_template_basedirs(self) -> list[str]:
        return [str(TEMPLATES_DIR)]

    @default("exclude_input_prompt")
    def _exclude_input_prompt_default(self) -> bool:
        return True

    @default("exclude_output_prompt")
    def _exclude_output_prompt_default(self) -> bool:
        return True

    @default("language_code")
    def _language_code_default(self) -> str:
        return "ja"
