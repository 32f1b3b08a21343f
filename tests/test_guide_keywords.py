"""Everyday names (俗称) in the guide: indexed as names, explained in `matched`, and kept
from pulling questions they do not answer."""

from __future__ import annotations

import pytest

from tongban.catalog.spec import BundleSpec, ItemSpec
from tongban.guide.documents import catalog_documents
from tongban.guide.index import CHAR_PREFIX, GuideIndex, build_index
from tongban.guide.search import search_index

from .catalog_factories import make_bundle, make_item
from .guide_helpers import ask, demo_index, top

VACCINATION_BOOKLET = "item:11430600DE0000022T3000102001000"  # 预防接种证办理
FOOD_LICENCE = "item:11430600DE0000161H3000116500000"  # 食品经营许可（新办）
PREPACKED_FOOD = "item:11430600DE0000161H3000116501000"  # 仅销售预包装食品备案
WORK_YEARS = "item:11430600DE0000049J3000104005000"  # 视同缴费年限认定
GAS_TRANSFER = "item:91430600DE0000276F3000127001000"  # 用气过户


def _index(*specs: ItemSpec | BundleSpec) -> GuideIndex:
    items = {s.code: s for s in specs if isinstance(s, ItemSpec)}
    bundles = {s.code: s for s in specs if isinstance(s, BundleSpec)}
    return build_index(catalog_documents(items, bundles, {}), [], token="t")


@pytest.mark.parametrize(
    ("query", "expected", "word"),
    [
        ("打针本", VACCINATION_BOOKLET, "打针"),
        ("小卖部", PREPACKED_FOOD, "小卖部"),
        ("熟食店", FOOD_LICENCE, "熟食店"),
        ("工龄认定", WORK_YEARS, "工龄"),
        ("天然气过户", GAS_TRANSFER, "天然气"),
    ],
)
def test_a_demo_keyword_finds_its_item_and_explains_it(
    query: str, expected: str, word: str
) -> None:
    (first,) = ask(query, 1).results
    assert f"{first.kind}:{first.code}" == expected
    assert word in first.matched


def test_a_keyword_is_the_only_way_to_an_item_that_the_catalog_text_does_not_name() -> None:
    plain = make_item("K0001", name="养犬登记证核发")
    named = plain.model_copy(update={"keywords": ["狗证", "办狗证"]})
    assert search_index(_index(plain), "狗证").results == []
    (found,) = search_index(_index(named), "狗证").results
    # jieba knows no word 狗证: the name is matched by its characters, all it has.
    assert (found.code, found.matched) == ("K0001", ("狗", "证"))


def test_a_keyword_counts_nearly_as_much_as_the_name() -> None:
    by_name = make_item("K0001", name="小卖部登记")
    by_keyword = make_item("K0002", name="食杂店登记", keywords=["小卖部"])
    scores = {r.code: r.score for r in search_index(_index(by_name, by_keyword), "小卖部").results}
    assert scores["K0001"] > scores["K0002"] > 0.6 * scores["K0001"]


def test_words_repeated_across_keywords_count_once() -> None:
    # Five everyday names with 医保 in them do not make the item five times about 医保.
    one = make_item("K0001", name="甲事项", keywords=["医保转移"])
    five = make_item(
        "K0002", name="乙事项", keywords=["医保转移", "转移医保", "医保", "医保接续转移", "转医保"]
    )
    index = _index(one, five)
    scores = {r.code: r.score for r in search_index(index, "医保").results}
    assert scores["K0001"] == pytest.approx(scores["K0002"], rel=0.15)


def test_person_words_and_lone_characters_of_keywords_are_not_indexed() -> None:
    bundle_item = make_item("K0001", name="出生登记")
    bundle = make_bundle(
        ["K0001"], code="newborn", name="新生儿一件事", keywords=["宝宝出生", "开饭店"]
    )
    index = _index(bundle_item, bundle)
    title = index.titles[index.position[("bundle", "newborn")]]
    assert "出生" in title
    assert "饭店" in title
    assert "宝宝" not in title  # who asks, not what for
    assert "开" not in title  # a lone character beside a word
    assert CHAR_PREFIX + "开" in title  # … which a one-character query still reads
    assert search_index(index, "宝宝").results == []


def test_a_one_character_query_reads_the_keywords_characters() -> None:
    # 丧 is in no name of 身后一件事, but in its everyday names 丧事, 丧葬.
    assert top("丧", 1) == ["bundle:after_death"]


def test_a_query_that_is_an_item_keyword_keeps_the_item_above_its_bundle() -> None:
    first = make_item("K0001", name="预防接种证办理", keywords=["疫苗本"])
    second = make_item("K0002", name="出生登记")
    bundle = make_bundle(["K0001", "K0002"], code="newborn", name="新生儿出生一件事")
    results = search_index(_index(first, second, bundle), "疫苗本").results
    assert [r.code for r in results][:1] == ["K0001"]


def test_a_query_that_names_both_item_and_bundle_asks_for_the_bundle() -> None:
    # 开公司 is what people call the life event and one of its items alike: the life event.
    first = make_item("K0001", name="企业设立登记", keywords=["开公司"])
    second = make_item("K0002", name="公章刻制备案")
    bundle = make_bundle(
        ["K0001", "K0002"], code="company", name="企业开办一件事", keywords=["开公司"]
    )
    results = search_index(_index(first, second, bundle), "开公司").results
    assert [(r.kind, r.code) for r in results][:2] == [("bundle", "company"), ("item", "K0001")]


def test_every_demo_item_and_bundle_has_everyday_names() -> None:
    docs = demo_index().docs
    assert len(docs) == 113
    missing = [d.name for d in docs if not d.aliases]
    assert missing == []
    assert all(4 <= len(d.aliases) <= 12 for d in docs)
