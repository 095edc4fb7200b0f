"""Summaries: counts and distributions per group, and small-cell suppression."""
from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kizuna.surveys.summary import distribution, plot_distribution, respondents, scale_scores, summary_tables


def table_of(towns: list[str], scores: list[int], topics: list[str]) -> pd.DataFrame:
    n = len(towns)
    return pd.DataFrame({"response": [f"{i:016x}" for i in range(n)], "town": towns, "year": [2025] * n,
                         "stage": ["B4m7d"] * n, "locale": ["ja"] * n, "helpful": scores,
                         "useful-topics": topics})


def test_groups_under_five_answers_are_hidden(surveys) -> None:
    table = table_of(["202029"] * 6 + ["264652"] * 4, [5, 4, 4, 2, 1, 3, 5, 5, 5, 5],
                     ["checkup;sleep"] * 6 + ["sleep"] * 4)
    q = surveys.all_questions()
    scores = scale_scores(table, [q["helpful"]], ("town",))
    big, small = scores.iloc[0], scores.iloc[1]
    assert (big["town"], big["n"], big["mean"], big["suppressed"]) == ("202029", 6, 19 / 6, False)
    assert small["suppressed"] and pd.isna(small["mean"]) and pd.isna(small["n"])
    dist = distribution(table, q["useful-topics"], ("town",))
    yosano = dist[dist["town"] == "264652"]
    assert yosano["suppressed"].all() and yosano["count"].isna().all() and yosano["share"].isna().all()
    matsumoto = dist[dist["town"] == "202029"].set_index("value")
    assert matsumoto.loc["sleep", "share"] == 1 and matsumoto.loc["vaccination", "count"] == 0
    # the national pool has 10 answers: shown
    pooled = distribution(table, q["useful-topics"])
    assert not pooled["suppressed"].any() and pooled.set_index("value").loc["sleep", "count"] == 10
    # the threshold is configurable
    assert not scale_scores(table, [q["helpful"]], ("town",), min_cell=3)["suppressed"].any()
    assert respondents(table, ("town",), min_cell=7)["suppressed"].all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["202029", "131121", "473243"]), st.integers(1, 5)), min_size=1,
                max_size=60), st.integers(1, 8))
def test_shown_figures_add_up_and_no_small_group_shows(surveys, rows, k) -> None:
    table = table_of([t for t, _ in rows], [s for _, s in rows], ["checkup"] * len(rows))
    dist = distribution(table, surveys.all_questions()["helpful"], ("town",), min_cell=k)
    for town, part in dist.groupby("town"):
        real = sum(1 for t, _ in rows if t == town)
        if real < k:
            assert part["suppressed"].all() and part["count"].isna().all()
        else:
            assert part["count"].sum() == real and abs(part["share"].sum() - 1) < 1e-9


def test_summary_tables_and_a_plot_with_japanese_labels(surveys) -> None:
    table = table_of(["202029"] * 8, [4] * 8, ["checkup"] * 8)
    tables = summary_tables(table, surveys, by=("stage",))
    assert {"respondents", "scores", "useful-topics", "used-service"} <= set(tables)
    fig = plot_distribution(tables["useful-topics"], "役に立った話題")
    assert fig.axes[0].get_title() == "役に立った話題"
