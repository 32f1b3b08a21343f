"""The guide engine on the demo catalog, without a database: short queries, synonyms,
life events above their items, matched terms, bad and long queries, and the evaluation set
as a regression floor."""

from __future__ import annotations

import pytest

from tongban.guide import search
from tongban.guide.evaluation import BLIND2_FILE, BLIND_FILE, HOLDOUT_FILE, evaluate, load_cases
from tongban.guide.search import MAX_LIMIT, EmptyQuery
from tongban.guide.tokens import MAX_QUERY_CHARS

from .guide_helpers import NEWBORN_ITEMS, SOCIAL_CARD_REPLACEMENT, ask, demo_index, top


@pytest.mark.parametrize(
    ("query", "term"),
    [("户口", "户口"), ("社保", "社会保险"), ("医保", "医保"), ("公积金", "公积金")],
)
def test_two_character_words_are_found(query: str, term: str) -> None:
    results = ask(query).results
    assert len(results) >= 3
    assert all(term in r.matched for r in results[:3]), [(r.name, r.matched) for r in results]


def test_hukou_lands_on_the_items_about_hukou() -> None:
    names = [r.name for r in ask("户口", 5).results]
    assert "出生登记" in names
    assert "死亡登记（注销户口）" in names


@pytest.mark.parametrize(("char", "expected"), [("章", "公章刻制备案"), ("残", "残疾人服务一件事")])
def test_one_character_queries_use_title_characters(char: str, expected: str) -> None:
    results = ask(char).results
    assert results, char
    assert results[0].name == expected
    assert results[0].matched == (char,)


def test_a_character_in_no_title_finds_nothing_rather_than_noise() -> None:
    assert ask("龘").results == []


def test_colloquial_life_events_land_on_their_bundle() -> None:
    assert top("孩子刚出生要办什么", 1) == ["bundle:newborn"]
    assert top("生孩子", 1) == ["bundle:newborn"]
    assert top("开个奶茶店要哪些证", 1) == ["bundle:restaurant"]
    assert top("老人走了后事怎么办", 1) == ["bundle:after_death"]


def test_synonyms_are_reported_with_the_catalog_terms_they_added() -> None:
    answer = ask("生孩子")
    assert answer.synonyms == ("生孩子",)
    newborn = answer.results[0]
    assert {"出生", "新生儿"} <= set(newborn.matched)


def test_lost_social_card_lands_on_replacement_not_the_card_bundle() -> None:
    answer = ask("社保卡丢了")
    assert top("社保卡丢了", 1) == [f"item:{SOCIAL_CARD_REPLACEMENT}"]
    # 社保卡丢了 is claimed whole: its part 社保 does not also add 社会保险.
    assert answer.synonyms[0] == "社保卡丢了"
    assert "社会保险" not in answer.results[0].matched
    assert "补领" in answer.results[0].matched


def test_homophone_typos_are_corrected_through_synonyms() -> None:
    # 护口 → 户口, then the corrected text completes 上户口 → 户口登记 出生登记.
    assert top("给孩子上护口", 1) == ["item:11430600DE000001403000101001000"]  # 出生登记
    assert f"item:{SOCIAL_CARD_REPLACEMENT}" in top("设保卡丢了")


def test_bundle_ranks_above_its_own_items_for_a_life_event() -> None:
    results = ask("孩子出生").results
    positions = {r.code: i for i, r in enumerate(results)}
    assert results[0].code == "newborn"
    assert positions.keys() >= NEWBORN_ITEMS
    assert all(positions["newborn"] < positions[code] for code in NEWBORN_ITEMS)
    # …and its explanation names the words of its own title.
    assert "出生" in results[0].matched


def test_a_long_story_finds_the_bundle_it_spans() -> None:
    story = (
        "你好，我老婆上个礼拜在市妇幼生了个儿子，我们俩都是岳阳户口，想问一下出生证、户口、"
        "医保这些能不能一次弄好"
    )
    assert top(story, 1) == ["bundle:newborn"]


DEATH_CERTIFICATE = "item:11430600DE0000022T3000102003000"  # 居民死亡医学证明（推断）书签发


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("开死亡证明", DEATH_CERTIFICATE),  # 死亡 names 身后一件事, 证明 only this item
        ("人死了户口怎么销", "item:11430600DE000001403000101002000"),  # 死亡登记（注销户口）
        ("父亲去世公积金怎么取", "item:12430600DE0000137X3000113004000"),  # 职工死亡提取…
        ("继承公证", "item:11430600DE0000153N3000115001000"),  # the item's own name
    ],
)
def test_naming_one_item_keeps_it_above_its_life_event(query: str, expected: str) -> None:
    assert top(query, 1) == [expected]
    # The life event is still near. Top 5, not 3: since round 4 the bundle's everyday names
    # make its document longer, and 死亡登记 (its result is a 证明) may come between.
    assert any(r.startswith("bundle:") for r in top(query, 5))


def test_a_synonym_alone_does_not_name_an_item() -> None:
    # 开公司 → 企业开办 企业设立: the catalog team's words ask for the life event.
    assert top("开公司", 1) == ["bundle:company_setup"]
    assert top("开物流公司", 1) == ["bundle:transport_company"]


def test_a_bundle_of_one_item_is_not_put_above_it() -> None:
    assert top("教资认定", 1) == ["item:11430600DE0000161H3000116001000"]  # 教师资格认定


def test_a_persons_story_damps_company_matters() -> None:
    story = (
        "我在外地打工十几年，社保一直是单位交的，今年满六十了想回老家办退休，"
        "以前在村办企业干过几年不知道算不算工龄"
    )
    assert top(story, 1) == ["bundle:retirement"]

    def company_registration(query: str) -> float:  # 单位社会保险参保登记: companies only
        code = "11430600DE0000049J3000104500000"
        return next(r.score for r in ask(query, MAX_LIMIT).results if r.code == code)

    # 我 is a stopword, so both ask the same terms: damped for the person only…
    assert company_registration("我单位交的社保") == pytest.approx(
        company_registration("单位交的社保") * 0.7, abs=0.01
    )
    # …and not when the person speaks for a business.
    assert company_registration("我公司交的社保") == company_registration("公司交的社保")


STAFF_MEDICAL_INSURANCE = "item:11430600DE0000030M3000103002000"  # 职工基本医疗保险参保登记
EMPLOYER_MEDICAL_INSURANCE = "item:11430600DE0000030M3000103500000"  # 单位职工…: companies only


def test_a_query_that_names_nobody_prefers_the_persons_item() -> None:
    # 医保 says nothing about who asks: the person's item comes before its company twin…
    ranked = top("医保", MAX_LIMIT)
    assert ranked.index(STAFF_MEDICAL_INSURANCE) < ranked.index(EMPLOYER_MEDICAL_INSURANCE)
    # …but whoever names the employer's side gets it first.
    assert top("单位医保", 1) == [EMPLOYER_MEDICAL_INSURANCE]


def test_neutral_damping_is_mild_and_skipped_for_employers(monkeypatch: pytest.MonkeyPatch) -> None:
    def score(query: str, code: str = EMPLOYER_MEDICAL_INSURANCE) -> float:
        return next(r.score for r in ask(query, MAX_LIMIT).results if f"item:{r.code}" == code)

    damped = {q: score(q) for q in ("医保", "单位医保", "公司医保", "我的医保")}
    neutral = search.NEUTRAL_DAMPING
    assert 0.8 <= neutral < 1.0  # mild: it decides between twins of about the same score
    monkeypatch.setattr(search, "NEUTRAL_DAMPING", 1.0)
    assert damped["医保"] == pytest.approx(score("医保") * neutral, abs=0.002)
    assert damped["单位医保"] == score("单位医保")  # the employer named: not damped
    assert damped["公司医保"] == score("公司医保")  # a business named: not damped
    assert damped["我的医保"] == pytest.approx(score("我的医保"), abs=0.002)  # a person: 0.7
    assert damped["我的医保"] == pytest.approx(score("医保") * 0.7, abs=0.002)


def test_results_are_ordered_by_score_then_kind_then_code() -> None:
    results = ask("过户", MAX_LIMIT).results
    keys = [(-r.score, r.kind != "bundle", r.code) for r in results]
    assert keys == sorted(keys)
    assert ask("过户", MAX_LIMIT) == ask("过户", MAX_LIMIT)  # no hidden state


@pytest.mark.parametrize("query", ["", "   ", "\u3000\n\t"])
def test_empty_or_blank_query_is_refused(query: str) -> None:
    with pytest.raises(EmptyQuery) as raised:
        ask(query)
    assert raised.value.status == 400


def test_a_long_query_is_truncated_not_refused() -> None:
    story = "我想问一下孩子出生以后要办哪些手续" + "嗯" * 2000
    answer = ask(story)
    assert answer.truncated
    assert len(answer.query) == MAX_QUERY_CHARS
    assert answer.results[0].code == "newborn"


def test_limit_is_clamped() -> None:
    assert len(ask("证明", 1).results) == 1
    assert len(ask("登记", 10_000).results) <= MAX_LIMIT
    assert len(ask("登记", 0).results) == 1


def test_full_width_and_case_are_normalised() -> None:
    assert ask("ＡＢＣ社保").query == "abc社保"


def test_evaluation_set_floor() -> None:
    """A regression floor, below the measured figures in docs/guide.md (not the goal)."""
    index = demo_index()
    cases = load_cases()
    assert len(cases) >= 150
    report = evaluate(cases, search=lambda q, k: ask(q, k))
    assert index.docs
    assert report.accuracy(3) >= 0.97  # measured 99.0 % (round 4)
    assert report.accuracy(1) >= 0.89  # measured 91.9 %


def test_holdout_set_floor() -> None:
    """The held-out set (a development set since round 3): a floor below its measured
    figures (docs/guide.md)."""
    cases = load_cases(HOLDOUT_FILE)
    assert len(cases) >= 40
    queries = {c.query for c in load_cases()}
    assert not queries.intersection(c.query for c in cases)  # new wording, not a copy
    report = evaluate(cases, search=lambda q, k: ask(q, k))
    assert report.accuracy(3) >= 0.95  # measured 96.7 % (round 4)
    assert report.accuracy(1) >= 0.80  # measured 83.3 %


def test_blind_set_floor() -> None:
    """The first blind set, a development set since round 4: a floor below its measured
    figures (docs/guide.md)."""
    report = evaluate(load_cases(BLIND_FILE), search=lambda q, k: ask(q, k))
    assert report.accuracy(3) >= 0.95  # measured 97.1 % (round 4)
    assert report.accuracy(1) >= 0.83  # measured 85.7 %


def test_second_blind_set_floor() -> None:
    """The second blind set, scored once after round 4 (90.0 % / 96.2 %, docs/guide.md) and a
    development set since: a floor below those figures, so a regression shows."""
    cases = load_cases(BLIND2_FILE)
    assert len(cases) >= 130
    report = evaluate(cases, search=lambda q, k: ask(q, k))
    assert report.accuracy(3) >= 0.94
    assert report.accuracy(1) >= 0.87
