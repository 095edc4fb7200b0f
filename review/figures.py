"""Images for notebooks and their HTML: scaled to the page width, with a text alternative.

IPython's ``Image`` keeps a PNG at its pixel size in nbconvert's HTML (the coverage heatmap is
1,920 px wide, wider than any page) and gives it no ``alt`` text. :class:`PageImage` is a display
object that carries the PNG twice: as ``image/png`` (with ``alt`` in its metadata, for
nbconvert templates that read it and for tools that want the picture) and as an ``<img>`` in
``text/html`` with ``alt`` and ``style="max-width: 100%; height: auto"``. JupyterLab and
nbconvert both prefer ``text/html``, so the image shrinks to the page in the notebook, in
``jupyter nbconvert --to html`` (lab or classic template) and in ``--to kizuna-review``.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The inline style of the ``<img>``: never wider than its container, proportions kept.
PAGE_WIDTH_STYLE = "max-width: 100%; height: auto;"


@dataclass(frozen=True)
class PageImage:
    """A PNG shown at most as wide as the page, with ``alt`` text (say what the image shows:
    it is all a screen reader, a text view or a broken image gives)."""

    png: bytes
    alt: str

    def __post_init__(self) -> None:
        if not self.png.startswith(PNG_SIGNATURE):
            raise ValueError("PageImage takes PNG data (it does not start with the PNG signature)")
        if not self.alt.strip():
            raise ValueError("PageImage needs alt text that says what the image shows")

    @classmethod
    def from_file(cls, path: str | Path, alt: str) -> "PageImage":
        return cls(Path(path).read_bytes(), alt)

    def img_html(self) -> str:
        """The ``<img>`` element, the PNG inlined as a data URL."""
        data = base64.b64encode(self.png).decode("ascii")
        return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.alt, quote=True)}" '
                f'style="{PAGE_WIDTH_STYLE}">')

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, str], dict[str, Any]]:
        data = {"text/html": self.img_html(),
                "image/png": base64.b64encode(self.png).decode("ascii"),
                "text/plain": self.alt}
        return data, {"image/png": {"alt": self.alt}}
