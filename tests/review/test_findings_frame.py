"""Findings as a typed pandas frame, and images that fit the page: what the dashboard shows."""
from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.review.figures import PageImage
from kizuna.review.findings import FRAME_DTYPES, LEVELS, Finding, findings_frame

optional_text = st.none() | st.text(max_size=12)
position = st.none() | st.integers(min_value=1, max_value=10**6)
findings = st.builds(Finding, rule=st.sampled_from(["tone/command", "coverage/gap", "readability"]),
                     level=st.sampled_from(LEVELS), message=st.text(max_size=30), message_id=optional_text,
                     locale=optional_text, town=optional_text, line=position, column=position,
                     suggestion=optional_text, ignored_reason=optional_text, stage=optional_text)


@given(st.lists(findings, max_size=8))
def test_frame_is_typed_without_nan_and_keeps_every_value(found: list[Finding]) -> None:
    frame = findings_frame(found)
    assert list(frame.columns) == list(FRAME_DTYPES) and len(frame) == len(found)
    assert {c: str(t) for c, t in frame.dtypes.items()} == FRAME_DTYPES
    text = [c for c, t in FRAME_DTYPES.items() if t == "string"]
    assert not frame[text].isna().any().any()  # "" where a value does not apply, never NaN
    for row, f in zip(frame.itertuples(index=False), found):
        assert row.level == f.level and row.message == f.message and row.town == (f.town or "")
        for name in ("line", "column"):
            value = getattr(row, name)
            assert (value is pd.NA) if getattr(f, name) is None else (value == getattr(f, name))
    if found:
        assert frame.sort_values("level")["level"].tolist() == sorted((f.level for f in found), key=LEVELS.index)


def test_frame_prints_line_numbers_as_integers() -> None:
    frame = findings_frame([Finding("readability", "warning", "長い文", message_id="m", locale="ja", line=3,
                                    column=12),
                            Finding("coverage/gap", "error", "欠け", town="131121", stage="B2m")])
    html = frame.style.hide(axis="index").format(na_rep="").to_html()
    assert "3.0" not in html and ">3<" in html and ">12<" in html
    assert "NaN" not in html and "&lt;NA&gt;" not in html and "None" not in html


def test_page_image_fits_the_page_and_says_what_it_shows(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(16, 2), dpi=120)  # 1,920 px: wider than a page
    ax.plot([0, 1], [0, 1])
    png = tmp_path / "wide.png"
    fig.savefig(png)
    plt.close(fig)
    image = PageImage.from_file(png, alt="欠け 2 枠、重複 0 枠 <凡例 \"赤\">")
    data, metadata = image._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]) == png.read_bytes()
    assert metadata["image/png"]["alt"] == image.alt and data["text/plain"] == image.alt
    assert data["text/html"].startswith('<img src="data:image/png;base64,')
    assert 'style="max-width: 100%; height: auto;"' in data["text/html"]
    assert 'alt="欠け 2 枠、重複 0 枠 &lt;凡例 &quot;赤&quot;&gt;"' in data["text/html"]
    with pytest.raises(ValueError, match="alt text"):
        PageImage.from_file(png, alt=" ")
    with pytest.raises(ValueError, match="PNG"):
        PageImage(b"GIF89a", alt="x")
