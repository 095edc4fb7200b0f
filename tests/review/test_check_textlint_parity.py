"""Parity with textlint: each overlapping rule agrees with the textlint rule's own published
test cases (valid / invalid strings, options, and the reported position where textlint gives one).

Sources (test files read from the public repositories):

* textlint-ja/textlint-rule-no-doubled-joshi ``test/no-doubled-joshi-test.ts``
  (commit 9834912b4a81f43b2e7ef96d7e2b823e12c8783e) → ``tone/doubled-particle``
* textlint-ja/textlint-rule-max-ten ``test/max-ten-test.js``, the version that goes with
  ``src/max-ten.js`` at commit 9974bd2fe05e3a0c099c3da2d96eefbc50889a16 (more than ``max``
  commas, nouns-only commas exempt, ``touten`` / ``kuten`` options) → ``tone/too-many-commas``
* textlint-ja/textlint-rule-no-mix-dearu-desumasu ``test/no-mix-dearu-desumasu-test.js``
  (commit 2979e21ed95277c1a761a00839ebbb7d588f151a) → ``tone/mixed-style``
* textlint-ja/textlint-rule-no-dropping-the-ra ``test/no-double-joshi-test.js``
  (commit 07799972794fc29f49b878a7026e3e8d7e58c608) → ``tone/ranuki``
* textlint-rule/textlint-rule-sentence-length ``test/sentence-length-test.ts``
  (commit cb99b2dc9cd5aa3c7ad0ba7bda63d3abf6a14915) → ``length/sentence``

textlint-tester reads a case as Markdown, so these do too. Option names are spelled the
Python way (``separatorCharacters`` → ``separator_characters``). Cases left out, and why:
the HTML-plugin cases of sentence-length (kizuna reads plain text and Markdown only) and its
``skipUrlStringLink: false`` case (kizuna always leaves URL-only links out); the first ``strict``
case of no-mix-dearu-desumasu, whose ``errors`` is a nested array textlint-tester does not check.
"""
from __future__ import annotations

from typing import Any

import pytest

from kizuna.review.checks import RULES, check_text

pytestmark = pytest.mark.usefixtures("japanese")  # findings in Japanese (tests/review/conftest.py)


def findings(rule_id: str, text: str, **options: Any) -> list:
    config = {"rules": {**{r: False for r in RULES}, rule_id: {"options": options} if options else True}}
    return [f for f in check_text(text, "ja", config=config, markdown=True) if f.rule == rule_id]


def at(found: list) -> list[tuple[int, int]]:
    return [(f.line, f.column) for f in found]


# --- no-doubled-joshi ------------------------------------------------------------------------------

JOSHI_VALID = [
    ("私は彼が好きだ", {}),
    ("既存のコードの利用", {}),
    ("オブジェクトを返す関数を公開した", {}),
    ("私は彼の鼻は好きだ", {}),
    ("これがiPhone、これがAndroidです。", {}),
    ("これがiPhone，これがAndroidです。", {}),
    ("ナイフで切断した後、ハンマーで破砕した。", {}),
    ("まずは試していただいて", {}),
    ("そのため、文字列の長さを正確に測るにはある程度の妥協が必要になります。", {}),
    ("そんな事で言うべきではない。", {}),
    ("言うのは簡単の法則。", {}),
    ("削除しようとすると問題が発生する", {}),
    ("削除しようとするとエラーが発生する", {}),
    ("台に登ったり降りたりする", {}),
    ("AとBとCを持ってきて", {}),
    ("慣用的表現、熟語、概数、固有名詞、副詞など、漢数字を使用することが一般的な語句では漢数字を使います。", {}),
    (" 次の`escapeHTML`関数は**タグ関数**です（詳細は文字列の章を参照）。", {}),
    ("ターミナルで「test」**と**入力する**と**、画面に表示されます。", {}),
    ("太字も強調も同じように無視されます。", {"allow": ["も"]}),
    ("これはペンです♪これは鉛筆です♪", {"separator_characters": ["♪"]}),
    ("これがiPhone,これがAndroidです。", {"comma_characters": [","]}),
]

JOSHI_INVALID = [
    ("私は彼は好きだ", {}, [(1, 4)]),
    ("材料不足で代替素材で製品を作った。", {}, [(1, 10)]),
    ("クォートで囲むことで文字列を作成できる点は、他の文字列リテラルと同じです。", {}, [(1, 10)]),
    ("列車事故でバスで振り替え輸送を行った。 ", {}, [(1, 8)]),
    ("洋服をドラム式洗濯機でお湯と洗剤で洗い、乾燥機で素早く乾燥させる。", {"min_interval": 2}, [(1, 17), (1, 24)]),
    ("法律案は十三日の衆議院本会議で賛成多数で可決され、参議院に送付されます", {}, [(1, 20)]),
    ("彼女は困り切った表情で、小声で尋ねた。", {"strict": True}, [(1, 15)]),
    ("白装束で重力のない足どりでやってくる", {"min_interval": 2}, [(1, 13)]),
    ("既存のコードの利用", {"strict": True}, [(1, 7)]),
    ("これは`obj.method`は何をしているかを示します。", {}, [(1, 16)]),
    ("文字列にはそこには問題がある。", {}, [(1, 8)]),
    ("今まで、サイトはNetlifyスライドはGitLab Pagesといった配信分けをしていたのですが、\n"
     "「 `/slides` にビルドしたスライドを置きたい」という動機のものと、こんな構成を検討しています。\n\n"
     "* 最初にtextlintで文法チェック\n* ドキュメントを別にビルドしてarticle化\n"
     "* 複数articleを束ねてFirebaseへデプロイ", {}, [(1, 20)]),  # textlint: index 19
    ("これはペンです．これは鉛筆です．", {"separator_characters": ["。"]}, [(1, 11)]),  # index 10
    ("これがiPhone、これがAndroidです。", {"comma_characters": []}, [(1, 13)]),  # index 12
]


@pytest.mark.parametrize(("text", "options"), JOSHI_VALID)
def test_doubled_particle_agrees_with_textlint_valid(text: str, options: dict) -> None:
    assert findings("tone/doubled-particle", text, **options) == []


@pytest.mark.parametrize(("text", "options", "expected"), JOSHI_INVALID)
def test_doubled_particle_agrees_with_textlint_invalid(text: str, options: dict, expected: list) -> None:
    assert at(findings("tone/doubled-particle", text, **options)) == expected


def test_doubled_particle_message_names_the_particle() -> None:
    (f,) = findings("tone/doubled-particle", "文字列にはそこには問題がある。")
    assert "「には」" in f.message and f.suggestion


# --- max-ten -------------------------------------------------------------------------------------

def include_ten(count: int) -> str:
    """textlint's ``textIncludeTen``: ``count`` commas in one sentence."""
    return "テスト文章において、" * count + "です"


@pytest.mark.parametrize(("text", "options"), [
    ("名詞、名詞、名詞、名詞、名詞の場合は例外", {}),
    ("ビスケットの主な材料は(1)小麦粉、(2)牛乳、(3)ショートニング、(4)バター、(5)砂糖である。", {}),
    ("これは、TaskA、TaskB、TaskC、TaskDが処理するものです。", {}),
    (include_ten(3), {}),
    (include_ten(5), {"max": 5}),
    ("これは、テストです。", {}),
    ("これは、これは、これは、これは、オプションでカウントされないのでOK", {"touten": "，", "kuten": "．"}),
    ("これは，これは．これは，これは，これは．", {"touten": "，", "kuten": "．"}),
])
def test_too_many_commas_agrees_with_textlint_valid(text: str, options: dict) -> None:
    assert findings("tone/too-many-commas", text, **options) == []


@pytest.mark.parametrize(("text", "options", "count", "where"), [
    ("これは、これは、これは、これは、これはだめ。", {}, 4, 15),
    ("これは，これは，これは，これは，これは。", {"touten": "，", "kuten": "．"}, 4, 15),
    ("これは，これは，これは。これは，これは，これは，どうですか?", {"touten": "，", "kuten": "．"}, 4, 19),
    (include_ten(6), {"max": 5}, 6, None),
    ("これは、長文の例ですが、columnがちゃんと計算、されてるはずです。", {"max": 2}, 3, (1, 26)),
    ("間に、Str以外の`code`Nodeが、あっても、OKと、聞いています。", {"max": 3}, 4, (1, 30)),
    ("複数のセンテンスがある場合。これでも、columnが、ちゃんと計算、されているはず、そのためのテキストです。",
     {"max": 3}, 4, (1, 42)),
    ("複数のセンテンスがあって、改行されている場合でも\n大丈夫です。これでも、lineとcolumnが、ちゃんと計算、"
     "されているはず、そのためのテキストです。", {"max": 3}, 4, (2, 39)),
])
def test_too_many_commas_agrees_with_textlint_invalid(text: str, options: dict, count: int, where: Any) -> None:
    (f,) = findings("tone/too-many-commas", text, **options)
    assert f"{count}つ以上" in f.message
    if isinstance(where, int):
        assert f.span[0] == where
    elif where is not None:
        assert (f.line, f.column) == where


def test_commas_between_nouns_do_not_count_unless_strict() -> None:
    text = "りんご、みかん、ぶどう、もも、なしを買いました。"
    assert findings("tone/too-many-commas", text) == []
    assert len(findings("tone/too-many-commas", text, strict=True)) == 1


# --- no-mix-dearu-desumasu ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "options"), [
    ("昨日はいい天気であったのだが、今日は悪天候である。", {}),
    ("昨日はいい天気であったのだが、今日は悪天候である。", {"prefer": "である"}),
    ("昨日はいい天気ですが、今日は悪天候である。", {"prefer": "である"}),
    ("今日はいい天気ですね。\n\nそうですね。", {}),
    ("\n今日はいい天気ですね。\n\n- 今日はいい天気である。\n", {}),
    ("\n# 今日はいい天気ですね\n\n- 今日はいい天気である。\n", {}),
    ("\n# 今日はいい天気ですね\n\n今日はいい天気である。\n", {}),
    ("AはBである\nCはDです。", {"strict": False}),
])
def test_mixed_style_agrees_with_textlint_valid(text: str, options: dict) -> None:
    assert findings("tone/mixed-style", text, **options) == []


@pytest.mark.parametrize(("text", "options", "expected"), [
    ("今日はいい天気ですね。\n今日はいい天気である。\n", {}, [(2, 8)]),
    ("今日はいい天気ですね。\n今日はいい天気ですね。\n今日はいい天気ですね。\n今日はいい天気である。\n明日はいい天気である。\n",
     {}, [(4, 8), (5, 8)]),
    ("\n# 今日はいい天気ですね\n\n## 今日はいい天気である\n", {}, [(4, 11)]),
    ("\n- 今日はいい天気ですね\n- 今日はいい天気である\n", {}, [(3, 10)]),
    ("今日はいい天気ですね。\n今日はいい天気ですね。\n今日はいい天気ですね。\n今日はいい天気である。\n明日はいい天気である。\n",
     {"prefer": "である"}, [(1, 8), (2, 8), (3, 8)]),
    ("今日はいい天気であるが、明日はどうなるか分からない。\nしかし、今日はいい天気ですね。だが明日はどうなるかわからないのである。",
     {"prefer": "である", "strict": True}, [(2, 12)]),
    ("AはBである\nCはDです。\n一方、AとCは同じものである。\n", {"prefer": "ですます", "strict": False}, [(3, 12)]),
])
def test_mixed_style_agrees_with_textlint_invalid(text: str, options: dict, expected: list) -> None:
    assert at(findings("tone/mixed-style", text, **options)) == expected


# --- no-dropping-the-ra ----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["お刺身を食べられない。", "見られる", "出られる", "来られる",
                                  "![](http://example.com)", "[](http://example.com)", "家に帰れる", "お茶を入れる"])
def test_ranuki_agrees_with_textlint_valid(text: str) -> None:
    assert findings("tone/ranuki", text) == []


@pytest.mark.parametrize(("text", "expected", "fixed"), [
    ("お刺身を食べれない。", [(1, 7)], "食べられ"),
    ("女の子が出れないんです", [(1, 6)], "出られ"),
    ("来れる", [(1, 2)], "来られる"),
    ("女の子が来れないんです", [(1, 6)], "来られ"),
])
def test_ranuki_agrees_with_textlint_invalid(text: str, expected: list, fixed: str) -> None:
    found = findings("tone/ranuki", text)
    assert at(found) == expected
    assert fixed in found[0].suggestion


# --- sentence-length ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "options"), [
    ("This is a article", {}),
    ("Test`code`です。", {}),
    ('"This" is code.', {"max": 15}),
    ("[textlint/textlint-filter-rule-comments: textlint filter rule that disables all rules between "
     "comments directive.](https://github.com/textlint/textlint-filter-rule-comments)", {}),
    ("- [textlint/textlint-filter-rule-comments: textlint filter rule that disables all rules between "
     "comments directive.](https://github.com/textlint/textlint-filter-rule-comments)", {}),
    ("> ignore", {"max": 1}),
    ("ab`c`de", {"max": 5}),
    ('[123](http://example.com "123456")45', {"max": 5}),
    ("1234(56789)", {"max": 5, "skip_patterns": ["/\\(.*\\)$/"]}),
    ("[http://example.com](http://example.com)", {"max": 5}),
    ('- [abc](http://example.com "abc")de', {"max": 5}),
    ("\n- abcde\n- abcde\n- abcde\n- abcde\n- abcde\n", {"max": 5}),
    ("実行コンテキストが\"Script\"である場合、そのコード直下に書かれた`this`はグローバルオブジェクトを参照します。\n"
     "グローバルオブジェクトとは、実行環境において異なるものが定義されています。\n"
     "ブラウザなら`window`オブジェクト、Node.jsなら`global`オブジェクトとなります。", {"max": 90}),
    ("また*CORS policy Invalid*のようなエラーがコンソールに表示されている場合は、[Same Origin Policy][]により"
     "`index.js`の読み込みが失敗しています。\n\n[Same Origin Policy]: https://example.com/", {"max": 90}),
    ("JavaScriptをWasmにして実行する仕組みについて。\nQuickJSを使いJavaScriptをByteCodeにしたxxxxを作成し、"
     "`QuickJS.wasm`と動的にリンクして大部分を共有している。\nShopify Functionで利用されるが、非同期処理の制限や"
     "5ms未満での実行制限がある。", {}),
    ('He said "This is a pen. I like it".', {"max": 10, "skip_patterns": ['/".*"/']}),
])
def test_sentence_length_agrees_with_textlint_valid(text: str, options: dict) -> None:
    assert findings("length/sentence", text, **options) == []


@pytest.mark.parametrize(("text", "options", "line", "length"), [
    ("123456", {"max": 5}, 1, 6),
    ("123\n45", {"max": 5}, 1, 6),
    ("text\n\n123456", {"max": 5}, 3, 6),
    ("11111\n2222\n3333333", {"max": 5}, 1, 18),
    ("あいうえお。\n\nあいうえお。\nあいうえおあかさたな。", {"max": 10}, 4, 11),
    ("text\n\nline3\nline4\n", {"max": 5}, 3, 11),
    ("This is text.\n            \n_Middleware_ という仕組み自体は[Connect](../connect/README.md)と似ています。\n"
     "しかし、 _Middleware_ が直接的に結果(State)を直接書き換える事はできません。\n"
     "これは、Connectが最終的な結果(response)を書き換えできるの対して、\n"
     "Reduxの _Middleware_ は扱える範囲がdispatchからReducerまでと線引されている違いと言えます。", {"max": 100}, 5, 102),
    ("123456789(56789)", {"max": 5, "skip_patterns": ["/\\(.*\\)$/"]}, 1, 9),
])
def test_sentence_length_agrees_with_textlint_invalid(text: str, options: dict, line: int, length: int) -> None:
    (f,) = findings("length/sentence", text, **options)
    assert f.line == line
    assert f"{length}文字" in f.message
