"""Public catalog pages: 办事大厅, 办事指南, 情形引导 (htmx and plain POST/GET), the printable
checklist, the bundle page and 改革成效 — all on tests/data/mini-catalog.yaml."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.http import QueryDict
from django.test import Client

from tongban.catalog.checklist import InvalidAnswers, build_checklist
from tongban.catalog.forms import answers_query, parse_answers, question_rows
from tongban.catalog.pages import describe_condition
from tongban.catalog.plan import Plan
from tongban.catalog.queries import published_item
from tongban.catalog.spec import Option, QuestionSpec
from tongban.catalog.store import clear_spec_cache

pytestmark = pytest.mark.usefixtures("mini_catalog")

BUNDLE = "/catalog/bundles/newborn-mini/"
GUIDE = "/catalog/bundles/newborn-mini/guide/"
HTMX = {"HX-Request": "true"}


def text(response: Any) -> str:
    return str(response.content.decode())


def section(html: str, testid: str) -> str:
    """The inner HTML of the <section data-testid=…> (sections are not nested)."""
    match = re.search(rf'<section[^>]*data-testid="{testid}"[^>]*>(.*?)</section>', html, re.S)
    return match.group(1) if match else ""


def guide(client: Client, answers: dict[str, Any], htmx: bool = True) -> Any:
    data = {f"a-{k}": v for k, v in answers.items()}
    return client.post(GUIDE, data, headers=HTMX if htmx else {})


# ---------------------------------------------------------------- 办事大厅


def test_catalog_needs_no_login_and_groups_bundles_by_audience_and_theme(client: Client) -> None:
    response = client.get("/catalog/")
    assert response.status_code == 200
    html = text(response)
    assert "办事大厅" in html
    person = html[html.index('id="bundles-person"') : html.index('id="bundles-company"')]
    assert "生育收养" in person
    assert "新生儿出生一件事（测试）" in person
    assert 'href="/catalog/bundles/newborn-mini/"' in person


def test_search_finds_items_by_name_and_filters_by_department_and_audience(
    client: Client,
) -> None:
    html = text(client.get("/catalog/", {"q": "社会保障卡"}))
    results = html[html.index('data-testid="search-results"') :]
    assert "社会保障卡申领" in results
    assert "出生登记" not in results.split('id="bundles-person"')[0]

    html = text(client.get("/catalog/", {"department": "test-hospital"}))
    results = html[html.index('data-testid="search-results"') : html.index('id="bundles-person"')]
    assert "出生医学证明签发" in results
    assert "社会保障卡申领" not in results
    assert "找到 1 个事项" in results

    # Every mini item serves natural persons only: 法人 finds nothing.
    html = text(client.get("/catalog/", {"object": "company"}))
    assert "找到 0 个事项" in html
    html = text(client.get("/catalog/", {"object": "person"}))
    assert "找到 4 个事项" in html


def test_departments_page_lists_items_under_their_department(client: Client) -> None:
    html = text(client.get("/catalog/departments/"))
    hospital = html[html.index('id="dept-test-hospital"') :]
    hospital = hospital[: hospital.index("</section>")]
    assert "测试市人民医院" in hospital
    assert "出生医学证明签发" in hospital
    assert "出生登记" not in hospital


# ---------------------------------------------------------------- 办事指南


def test_item_guide_shows_everything_a_citizen_needs(client: Client) -> None:
    response = client.get("/catalog/items/B0001/")
    assert response.status_code == 200
    html = text(response)
    for expected in (
        "出生登记",
        "行政确认",
        "30 个工作日",  # 法定时限
        "5 个工作日",  # 承诺时限
        "承诺件",
        "全程网办",
        "不通办",
        "邮寄",
        "不收费",
        "《中华人民共和国户口登记条例》",
        "新生儿是否在本市医院出生？",
        "新生儿姓名",
        "新生儿出生一件事（测试）",  # the bundles that include it
        "/catalog/items/B0001/guide/",
    ):
        assert expected in html, expected
    materials = html[html.index('data-testid="materials"') :]
    materials = materials[: materials.index("</table>")]
    assert "出生医学证明" in materials
    assert "免提交（电子证照" in materials
    assert "“父母是否已登记结婚？”为“是”时" in materials  # 结婚证's condition in words
    # 容缺后补 is highlighted.
    row = re.search(r'<tr class="table-warning">(.*?)</tr>', materials, re.S)
    assert row is not None
    assert "非婚生育情况说明" in row.group(1)


def test_item_guide_shows_natural_day_limits_and_data_checks(client: Client) -> None:
    html = text(client.get("/catalog/items/D0001/"))
    assert "20 个自然日" in html
    html = text(client.get("/catalog/items/A0001/"))
    assert "免提交（数据核验：全国人口基础信息库）" in html
    assert "需核对新生儿信息" in html  # the reason for the visit


def test_unknown_codes_get_a_chinese_404(client: Client) -> None:
    for path in (
        "/catalog/items/NOPE/",
        "/catalog/items/NOPE/guide/",
        "/catalog/bundles/nope/",
        "/catalog/bundles/nope/guide/",
        "/catalog/bundles/nope/checklist/print/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "没有找到" in text(response), path


# ---------------------------------------------------------------- 情形引导


def test_guide_page_asks_the_open_questions_without_login(client: Client) -> None:
    response = client.get(GUIDE)
    assert response.status_code == 200
    html = text(response)
    assert 'hx-post="/catalog/bundles/newborn-mini/guide/"' in html
    assert 'hx-swap="outerHTML"' in html
    for question in (
        "新生儿是否在本市医院出生？",
        "是否同时申领社会保障卡？",
        "父母是否已登记结婚？",
    ):
        assert question in html
    assert "还有 3 个问题" in html


def test_marriage_answer_decides_between_certificate_and_statement(client: Client) -> None:
    married = guide(client, {"married": "yes"})
    assert married.status_code == 200
    provide = section(text(married), "materials-provide")
    assert "结婚证" in provide
    assert "非婚生育情况说明" not in provide

    unmarried = guide(client, {"married": "no"})
    provide = section(text(unmarried), "materials-provide")
    assert "非婚生育情况说明" in provide
    assert "容缺后补" in provide
    assert "结婚证" not in provide


def test_born_here_adds_the_birth_certificate_item_and_makes_it_produced_inside(
    client: Client,
) -> None:
    before = text(guide(client, {"born_here": "no"}))
    assert "出生医学证明签发" not in section(before, "checklist-items")
    assert "电子证照：持有有效证照且同意调用的免提交" in section(before, "materials-free")

    after = text(guide(client, {"born_here": "yes"}))
    assert "出生医学证明签发" in section(after, "checklist-items")
    free = section(after, "materials-free")
    certificate = re.search(r'data-material="birth_medical_certificate">(.*?)</li>', free, re.S)
    assert certificate is not None
    assert "本件事内生成：“出生医学证明签发”办结后自动流转" in certificate.group(1)
    assert "分娩记录" in section(after, "materials-provide")


def test_answered_questions_stay_shown_with_their_value(client: Client) -> None:
    html = text(guide(client, {"born_here": "yes", "want_card": "no"}))
    assert re.search(r'name="a-born_here" id="q-born_here-0" value="yes" checked', html)
    assert re.search(r'name="a-want_card" id="q-want_card-1" value="no" checked', html)
    assert "还有 1 个问题" in html
    assert "社会保障卡申领" not in section(html, "checklist-items")
    # The print link carries the answers that count.
    assert (
        "/catalog/bundles/newborn-mini/checklist/print/?a-born_here=yes&amp;a-want_card=no" in html
    )


def test_htmx_gets_the_fragment_and_a_plain_post_gets_the_page(client: Client) -> None:
    response = guide(client, {"married": "yes", "born_here": "no"})
    fragment = text(response)
    assert fragment.startswith('<div id="checklist"')
    assert "<html" not in fragment
    assert "HX-Request" in response["Vary"]
    # The address bar follows the answers; reloading it (a plain GET) shows the same list.
    address = response["HX-Replace-Url"]
    assert address == f"{GUIDE}?a-born_here=no&a-married=yes"
    reloaded = text(client.get(address))
    assert "<html" in reloaded
    assert section(reloaded, "materials-provide") == section(fragment, "materials-provide")
    history = client.get(address, headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in text(history)
    page = guide(client, {"married": "yes"}, htmx=False)
    assert page.status_code == 200
    assert "<html" in text(page)
    assert "结婚证" in section(text(page), "materials-provide")
    # …and a GET with the answers in the query string (no JavaScript, a shared link).
    link = client.get(GUIDE, {"a-married": "yes", "a-born_here": "yes"})
    assert "结婚证" in section(text(link), "materials-provide")
    assert "分娩记录" in section(text(link), "materials-provide")


def test_guide_post_works_with_csrf_checks_on(demo: None) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(GUIDE)
    token = page.cookies["csrftoken"].value
    response = client.post(GUIDE, {"a-married": "yes"}, headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"married": "maybe"}, "父母是否已登记结婚？：请回答 yes（是）或 no（否）"),
        ({"evil": "1"}, "没有标识为“evil”的问题"),
    ],
)
def test_tampered_answers_get_the_reason_and_400(
    client: Client, answers: dict[str, str], reason: str
) -> None:
    for htmx in (True, False):
        response = guide(client, {"born_here": "yes", **answers}, htmx=htmx)
        assert response.status_code == 400
        html = text(response)
        assert reason in section_or_alert(html)
        # The good answer is kept, so the applicant only fixes the bad one.
        assert "分娩记录" in section(html, "materials-provide")


def section_or_alert(html: str) -> str:
    match = re.search(r'data-testid="answer-problems">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


def test_print_refuses_bad_answers_with_the_reason(client: Client) -> None:
    response = client.get("/catalog/bundles/newborn-mini/checklist/print/", {"a-married": "x"})
    assert response.status_code == 400
    assert "请回答 yes（是）或 no（否）" in text(response)


def test_item_guide_works_for_a_single_item(client: Client) -> None:
    html = text(client.get("/catalog/items/B0001/guide/", {"a-married": "no"}))
    assert "非婚生育情况说明" in section(html, "materials-provide")
    assert "出生登记" in section(html, "checklist-items")
    assert "5 个工作日" in html


def test_printable_checklist_lists_materials_with_checkboxes_and_no_nav(client: Client) -> None:
    response = client.get(
        "/catalog/bundles/newborn-mini/checklist/print/",
        {"a-born_here": "yes", "a-married": "yes", "a-want_card": "yes"},
    )
    assert response.status_code == 200
    html = text(response)
    assert "navbar" not in html
    assert "catalog/print.css" in html  # print styles (@media print) in a static file: CSP
    assert '<input type="checkbox" aria-label="结婚证">' in html
    assert '<input type="checkbox" aria-label="近期免冠照片">' in html
    assert "新生儿姓名" in html  # fields
    assert "社会保障卡申领" in html  # items
    # 3 (出生医学证明) + 5 (出生登记) + 5 (社保卡) on the critical path.
    assert "13 个工作日" in html


# ---------------------------------------------------------------- 一件事 and 改革成效


def graph_json(html: str) -> Any:
    match = re.search(
        r'<script id="bundle-graph-data" type="application/json">(.*?)</script>', html
    )
    assert match is not None
    return json.loads(match.group(1))


def test_bundle_page_shows_items_graph_and_metrics(client: Client) -> None:
    response = client.get(BUNDLE)
    assert response.status_code == 200
    html = text(response)
    assert "新生儿出生一件事（测试）" in html
    assert "vendor/echarts-5.6.0/echarts.min.js" in html
    assert "cdn" not in html.lower()
    graph = graph_json(html)
    nodes = {n["id"]: n for n in graph["nodes"]}
    # Left → right by depth: A0001 → B0001 → (C0001, D0001).
    assert nodes["A0001"]["x"] < nodes["B0001"]["x"] < nodes["C0001"]["x"]
    assert nodes["C0001"]["x"] == nodes["D0001"]["x"]
    assert nodes["C0001"]["y"] != nodes["D0001"]["y"]
    assert nodes["A0001"]["name"] == "出生医学证明签发"
    assert nodes["B0001"]["promise"] == "5 个工作日"
    # Critical path: 3 + 5 + 5 (社保卡 is longer than 医保's 2 days).
    assert [n for n in nodes if nodes[n]["critical"]] == ["A0001", "B0001", "D0001"]
    critical_edges = {(e["source"], e["target"]) for e in graph["edges"] if e["critical"]}
    assert critical_edges == {("A0001", "B0001"), ("B0001", "D0001")}
    assert nodes["D0001"]["conditional"] is True
    assert "出生医学证明签发 → 出生登记 → 社会保障卡申领" in html

    metrics = html[html.index('data-testid="bundle-metrics"') :]
    metrics = metrics[: metrics.index("</table>")]
    # Before: statutory 20 + 30 + 10 + ceil(20·5/7)=15 = 75; after: critical path 13.
    assert re.search(r"办理时限（工作日）</td><td>75</td><td[^>]*>13</td>", metrics)
    assert "时限减少率 82.7%" in metrics
    assert "跑动次数</td><td>2</td>" in metrics


def test_catalog_metrics_page(client: Client) -> None:
    response = client.get("/catalog/metrics/")
    assert response.status_code == 200
    html = text(response)
    block = html[html.index('data-testid="catalog-metrics"') :]
    # 4 items: online (≥ 网上预审) all 4; fully online B, D; ≤1 visit all; zero visits B, D.
    for name, value in (
        ("网上可办率", "100.0%"),
        ("全程网办率", "50.0%"),
        ("一次办比率", "100.0%"),
        ("零跑动比率", "50.0%"),
    ):
        assert re.search(rf"{name}</div><div class=\"tb-card-stat\">{re.escape(value)}<", block)
    table = html[html.index('data-testid="bundle-metrics-table"') :]
    assert "新生儿出生一件事（测试）" in table
    assert "82.7%" in table


def test_nav_and_home_link_to_the_catalog(client: Client, logged_in: Any) -> None:
    html = text(client.get("/accounts/login/"))
    assert 'href="/catalog/" data-testid="nav-catalog"' in html
    citizen = logged_in("citizen")
    html = text(citizen.get("/home/citizen/"))
    assert 'data-testid="home-catalog-link"' in html
    assert 'data-testid="nav-catalog"' in html


# ---------------------------------------------------------------- query counts


def test_hot_pages_have_query_ceilings(client: Client, django_assert_max_num_queries: Any) -> None:
    # Cold: each published spec is read once with its content prefetched — a fixed number
    # of queries (bundle 5, items 7, department names 1), whatever the number of items; the
    # bundle page adds one aggregate for its measured 免提交 share.
    for path, ceiling in ((BUNDLE, 14), (GUIDE, 13)):
        clear_spec_cache()
        with django_assert_max_num_queries(ceiling):
            assert client.get(path).status_code == 200
    # Warm (the usual case): published versions are cached; left are the two version
    # checks and the department names (+ the measured share on the bundle page).
    with django_assert_max_num_queries(4):
        assert client.get(BUNDLE).status_code == 200
    with django_assert_max_num_queries(3):
        assert guide(client, {"born_here": "yes", "married": "no"}).status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get("/catalog/items/B0001/").status_code == 200
    with django_assert_max_num_queries(3):
        assert client.get("/catalog/").status_code == 200


def test_conditions_read_as_chinese_sentences() -> None:
    questions = {
        "kind": QuestionSpec(
            key="kind",
            text="企业类型？",
            kind="单选",
            options=[Option(value="llc", label="有限公司"), Option(value="sole", label="个人独资")],
        ),
        "needs": QuestionSpec(
            key="needs",
            text="需要办理哪些证照？",
            kind="多选",
            options=[Option(value="food", label="食品经营"), Option(value="fire", label="消防")],
        ),
        "staff": QuestionSpec(key="staff", text="员工人数？", kind="数字"),
    }
    cases: list[tuple[dict[str, Any] | None, str]] = [
        ({"==": [{"var": "kind"}, "llc"]}, "“企业类型？”为“有限公司”时"),
        ({"in": [{"var": "kind"}, ["llc", "sole"]]}, "“企业类型？”为“有限公司”或“个人独资”时"),
        ({"in": ["fire", {"var": "needs"}]}, "“需要办理哪些证照？”包含“消防”时"),
        ({">": [{"var": "staff"}, 10]}, "“员工人数？”大于10时"),
        (
            {"and": [{"==": [{"var": "kind"}, "sole"]}, {"<=": [{"var": "staff"}, 5]}]},
            "“企业类型？”为“个人独资”且“员工人数？”不超过5时",
        ),
        ({"!": {"var": "kind"}}, "视情形"),  # too clever to put in words
        ({"==": [{"var": "unknown"}, "x"]}, "视情形"),
        (None, ""),
    ]
    for condition, expected in cases:
        assert describe_condition(condition, questions) == expected, condition


def _plan_with_number_and_multiple_questions() -> Plan:
    item = published_item("B0001")
    questions = [
        *item.questions,
        QuestionSpec(key="twins", text="同胎出生几个孩子？", kind="数字"),
        QuestionSpec(
            key="extras",
            text="还需要办理哪些？",
            kind="多选",
            options=[
                Option(value="name", label="取名登记"),
                Option(value="photo", label="照片采集"),
            ],
        ),
    ]
    return Plan.for_item(item.model_copy(update={"questions": questions}))


def test_form_answers_parse_numbers_and_multiple_choices() -> None:
    plan = _plan_with_number_and_multiple_questions()
    assert parse_answers(plan, QueryDict("a-twins=&a-married=")) == {}  # blank: not answered
    assert parse_answers(plan, QueryDict("a-twins=2")) == {"twins": 2}
    assert parse_answers(plan, QueryDict("a-twins=1.5")) == {"twins": 1.5}
    assert parse_answers(plan, QueryDict("a-extras=photo&a-extras=name")) == {
        "extras": ["photo", "name"]
    }
    # "以上都不是" is an answer (an empty list), unlike nothing ticked.
    assert parse_answers(plan, QueryDict("a-extras=_none")) == {"extras": []}
    assert parse_answers(plan, QueryDict("")) == {}
    # Fields that are not answers are ignored; unknown answers are passed on to be refused.
    assert parse_answers(plan, QueryDict("csrfmiddlewaretoken=x&a-evil=1")) == {"evil": "1"}
    for raw in ("two", "nan", "1e999"):
        with pytest.raises(InvalidAnswers) as caught:
            parse_answers(plan, QueryDict(f"a-twins={raw}"))
        assert caught.value.problems == [
            {"question": "twins", "message": f"同胎出生几个孩子？：“{raw}”不是数字"}
        ]


def test_answers_survive_the_round_trip_through_a_link() -> None:
    plan = _plan_with_number_and_multiple_questions()
    answers = {"married": "no", "twins": 2, "extras": []}
    assert parse_answers(plan, QueryDict(answers_query(answers))) == answers
    checklist = build_checklist(plan, {"married": "no", "extras": ["name"]})
    rows = {row.key: row for row in question_rows(plan, checklist)}
    assert rows["married"].answer_label == "否"
    assert rows["extras"].answer_label == "取名登记"
    assert not rows["twins"].answered
    assert [o.checked for o in rows["extras"].options] == [True, False, False]
