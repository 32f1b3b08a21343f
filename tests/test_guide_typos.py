"""Homophone typos corrected through pinyin (不办 → 补办), on the demo index without a
database: what is corrected, what is not, and how it is reported."""

from __future__ import annotations

import pytest

from tongban.guide.typos import Homophones

from .guide_helpers import SOCIAL_CARD_REPLACEMENT, ask, demo_index, top

VETERAN_CHECK_IN = "item:11430600DE0000145U3000114001000"  # 退役军人报到
HOUSE_TAXES = "item:11430600DE000006583000106001000"  # 存量房交易税费申报（契税…）


def test_a_homophone_typo_finds_what_the_word_finds() -> None:
    # 不办 is no word; bu ban is 补办, a synonym phrase (→ 补领): the replacement item, not
    # the card's life event (which 社保卡 alone would give).
    assert top("社保卡不办", 1) == [f"item:{SOCIAL_CARD_REPLACEMENT}"]
    assert top("社保卡不办", 1) == top("社保卡补办", 1)


@pytest.mark.parametrize(
    ("query", "typed", "word", "expected"),
    [
        ("退伍军人保到", "保到", "报到", VETERAN_CHECK_IN),  # a title word jieba splits (报 到)
        ("二手房齐税", "齐税", "契税", HOUSE_TAXES),  # a word of the item's title
    ],
)
def test_typos_of_title_words_are_corrected(
    query: str, typed: str, word: str, expected: str
) -> None:
    answer = ask(query)
    assert (typed, (word,)) in answer.understood
    assert f"{answer.results[0].kind}:{answer.results[0].code}" == expected


def test_a_correction_is_reported_like_a_synonym() -> None:
    answer = ask("社保卡不办")
    # The portal shows "已理解：不办 → 补办", and the API lists 不办 among its synonyms.
    assert answer.understood[0] == ("不办", ("补办",))
    assert "不办" in answer.synonyms
    # The corrected word then reads as typed: the synonym 补办 → 补领 applies.
    assert ("补办", ("补领",)) in answer.understood
    assert "补领" in answer.results[0].matched
    assert answer.query == "社保卡不办"  # the query shown is what was typed


@pytest.mark.parametrize(
    "query",
    [
        "退伍军人报道",  # 报道 is a word (bao dao, like 报到): meant as typed
        "社保卡补办",  # the right word needs no correction
        "买二手房的契税和个税怎么交",  # 和个 (he ge = 合格) is grammar, not a typo
        "孩子刚出生要办什么",
        "我在外地打工十几年，社保一直是单位交的",
    ],
)
def test_real_words_and_grammar_are_not_corrected(query: str) -> None:
    homophones = demo_index().homophones
    assert homophones is not None
    assert homophones.corrections(demo_index().segmenter, query, [False] * len(query)) == []


def test_a_typo_the_synonym_table_knows_is_left_to_it() -> None:
    answer = ask("设保卡丢了")
    phrases = [phrase for phrase, _ in answer.understood]
    assert "设保" in phrases  # the table's own entry (设保 → 社保 社会保险)
    assert "设保卡" not in phrases  # not corrected a second time through pinyin


def test_an_ambiguous_sound_is_not_guessed() -> None:
    segmenter = demo_index().segmenter
    one = Homophones(["报装"], [])
    two = Homophones(["报装", "包装"], [])  # both bao zhuang
    query = "宽带保装"
    assert [(c.typed, c.word) for c in one.corrections(segmenter, query, [False] * 4)] == [
        ("保装", "报装")
    ]
    assert two.corrections(segmenter, query, [False] * 4) == []


def test_a_synonym_that_is_itself_a_typo_is_no_target() -> None:
    # 设保 → 社保 is a typo entry: it must not become a word that 社保 "corrects" to.
    homophones = Homophones(["社保"], [("设保", ("社保",))])
    assert len(homophones) == 1
