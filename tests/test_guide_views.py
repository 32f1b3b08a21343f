"""智能导办 pages on the demo catalog and demo synonyms: the results page goes straight to
the situational checklist, the as-you-type suggestions, the "没找到" 办不成事 link (and the
ticket forms it prefills), the search box on every placement, the clerk's and operator's
next steps, escaping, long queries and query ceilings."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, unquote

import pytest
from django.db import transaction
from django.test import Client

from tongban.catalog.demo import load_demo_catalog
from tongban.core.demo import load_demo_data
from tongban.core.errors import DomainError
from tongban.guide import views as guide_views
from tongban.guide.demo import load_demo_synonyms
from tongban.guide.index import forget_index

Login = Callable[[str], Client]

NEWBORN = "newborn"  # 新生儿出生一件事
RESTAURANT = "restaurant"  # 开办餐饮店一件事
AFTER_DEATH = "after_death"  # 身后一件事
BOX = 'data-testid="guide-box"'


@pytest.fixture(scope="module")
def demo_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Demo accounts, catalog and synonyms, imported once for the module inside an outer
    transaction rolled back at the end (each test rolls back to its own savepoint)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            forget_index()
            load_demo_data()
            load_demo_catalog()
            load_demo_synonyms()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            forget_index()


pytestmark = pytest.mark.usefixtures("demo_world", "demo")


def text(response: Any) -> str:
    return str(response.content.decode())


def results(client: Client, query: str, **params: str) -> Any:
    return client.get("/guide/", {"q": query, **params})


def result_rows(page: str) -> list[tuple[str, str]]:
    """(kind, code) of each result, in order."""
    return re.findall(r'data-testid="guide-result" data-kind="(\w+)" data-code="([\w-]+)"', page)


def first_result(page: str) -> str:
    start = page.index('data-testid="guide-result"')
    end = page.find('data-testid="guide-result"', start + 1)
    return page[start : end if end != -1 else len(page)]


def guide_box(page: str) -> str:
    """The guide's <form> … </form>."""
    start = page.rindex("<form", 0, page.index(BOX))
    return page[start : page.index("</form>", start)]


def hrefs(fragment: str, testid: str) -> list[str]:
    found = re.findall(rf'href="([^"]*)" data-testid="{testid}"', fragment)
    return [html.unescape(h) for h in found]


# ---------------------------------------------------------------- the results page


def test_a_new_parent_lands_on_the_newborn_checklist(client: Client) -> None:
    response = results(client, "孩子刚出生要办什么")  # anonymous: no login needed
    assert response.status_code == 200
    page = text(response)
    assert result_rows(page)[0] == ("bundle", NEWBORN)
    first = first_result(page)
    assert "新生儿出生一件事" in first
    assert 'data-testid="guide-kind">一件事<' in first
    assert hrefs(first, "guide-checklist") == [f"/catalog/bundles/{NEWBORN}/guide/"]
    assert hrefs(first, "guide-detail") == [f"/catalog/bundles/{NEWBORN}/"]
    assert re.search(r'data-testid="guide-matched">出生<', first)  # the why
    assert 'data-testid="guide-action"' not in page  # the portal has no staff actions
    items = [code for kind, code in result_rows(page) if kind == "item"]
    assert items, "single items follow the bundle"
    assert f'href="/catalog/items/{items[0]}/guide/" data-testid="guide-checklist"' in page
    assert 'data-testid="guide-kind">单项事项<' in page


@pytest.mark.parametrize(
    ("query", "bundle", "understood"),
    [
        ("开个奶茶店要哪些证", RESTAURANT, "奶茶 → 餐饮"),
        ("老人走了后事怎么办", AFTER_DEATH, "后事 → 身后、死亡"),
    ],
)
def test_colloquial_stories_land_on_their_life_event(
    client: Client, query: str, bundle: str, understood: str
) -> None:
    page = text(results(client, query))
    assert result_rows(page)[0] == ("bundle", bundle)
    assert hrefs(first_result(page), "guide-checklist") == [f"/catalog/bundles/{bundle}/guide/"]
    shown = re.search(r'data-testid="guide-understood">(.*?)</p>', page, re.S)
    assert shown
    assert "已理解：" in shown.group(1)
    assert understood in html.unescape(shown.group(1))


def test_the_checklist_link_opens_the_situation_questions(client: Client) -> None:
    page = text(results(client, "孩子刚出生要办什么"))
    checklist = hrefs(first_result(page), "guide-checklist")[0]
    response = client.get(checklist)
    assert response.status_code == 200
    assert 'data-testid="guide-title">新生儿出生一件事<' in text(response)


@pytest.mark.parametrize("query", ["", "   ", "\u3000\n"])
def test_an_empty_box_gets_a_friendly_hint_not_an_error(client: Client, query: str) -> None:
    response = results(client, query)
    assert response.status_code == 200
    page = text(response)
    assert 'data-testid="guide-hint"' in page
    assert "孩子刚出生要办什么" in page
    assert BOX in page
    assert 'data-testid="guide-result"' not in page


def test_no_results_says_so_and_offers_the_bbcs_link(client: Client) -> None:
    page = text(results(client, "zzzqqq"))
    assert 'data-testid="guide-no-results"' in page
    assert 'data-testid="guide-bbcs"' in page


def test_an_engine_error_is_shown_in_chinese_with_its_status(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(query: str, limit: int) -> Any:
        raise DomainError("guide_unavailable", "导办服务暂时不可用，请稍后再试", status=503)

    monkeypatch.setattr(guide_views, "guide_search", broken)
    response = results(client, "户口")
    assert response.status_code == 503
    assert "导办服务暂时不可用，请稍后再试" in text(response)
    assert BOX in text(response)


def test_the_query_is_escaped_everywhere(client: Client) -> None:
    attack = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    for response in (results(client, attack), client.get("/guide/suggest", {"q": attack})):
        assert response.status_code == 200
        page = text(response)
        assert "<script>alert(1)" not in page
        assert "<img src=x" not in page
    page = text(results(client, attack))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # echoed in the box, escaped


def test_a_2000_character_query_is_cut_not_refused(client: Client) -> None:
    story = "孩子刚出生要办什么，" + "然后我还想问问" * 300
    assert len(story) >= 2000
    response = results(client, story)
    assert response.status_code == 200
    page = text(response)
    assert 'data-testid="guide-truncated"' in page
    assert result_rows(page)[0] == ("bundle", NEWBORN)
    # The 办不成事 link carries what the engine read, not the whole story, and stays within
    # gunicorn's 4,094-byte request line.
    bbcs = hrefs(page, "guide-bbcs")[0]
    assert len(bbcs) < 4094
    assert "然后我还想问问" * 30 not in unquote(bbcs)


def test_other_methods_are_refused(client: Client) -> None:
    assert client.post("/guide/", {"q": "户口"}).status_code == 405


# ---------------------------------------------------------------- suggestions (htmx)


def test_suggestions_as_you_type(client: Client) -> None:
    response = client.get("/guide/suggest", {"q": "社保"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = text(response)
    assert "<html" not in page  # a fragment
    links = hrefs(page, "guide-suggestion")
    assert 1 <= len(links) <= 6
    assert all(re.fullmatch(r"/catalog/(items|bundles)/[\w-]+/guide/", link) for link in links)
    assert "社会保险" in page
    assert "单项事项" in page


def test_suggestions_for_a_story_lead_with_the_life_event(client: Client) -> None:
    page = text(client.get("/guide/suggest", {"q": "开个奶茶店要哪些证"}))
    assert hrefs(page, "guide-suggestion")[0] == f"/catalog/bundles/{RESTAURANT}/guide/"
    assert "开办餐饮店一件事" in page
    assert "一件事</span>" in page


@pytest.mark.parametrize("query", [None, "", "  ", "\u3000"])
def test_a_blank_box_gets_an_empty_fragment(client: Client, query: str | None) -> None:
    response = client.get("/guide/suggest", {} if query is None else {"q": query})
    assert response.status_code == 200
    assert response.content.strip() == b""


def test_nothing_similar_says_so_briefly(client: Client) -> None:
    page = text(client.get("/guide/suggest", {"q": "zzzqqq"}))
    assert 'data-testid="guide-suggestion-none"' in page


# ---------------------------------------------------------------- 没找到 → 办不成事


def test_the_bbcs_link_passes_the_query_to_the_citizens_ticket_form(
    client: Client, logged_in: Login
) -> None:
    page = text(results(client, "想给家里的猫办个证"))
    assert "没找到要办的事？" in page
    link = hrefs(page, "guide-bbcs")[0]
    assert link.startswith("/tickets/mine/new/?bbcs=1&title=")
    assert quote("想给家里的猫办个证") in link

    form = text(logged_in("citizen").get(link))
    assert re.search(
        r'data-testid="file-bbcs"[^>]*checked|checked[^>]*data-testid="file-bbcs"', form
    )
    assert 'value="想给家里的猫办个证"' in form  # the title
    assert "我想办：想给家里的猫办个证。智能导办未找到对应的事项。" in form


def test_an_empty_search_still_links_the_plain_bbcs_form(client: Client) -> None:
    page = text(results(client, ""))
    assert hrefs(page, "guide-bbcs") == ["/tickets/mine/new/?bbcs=1"]


# ---------------------------------------------------------------- placements


@pytest.mark.parametrize(
    ("username", "path", "context"),
    [
        (None, "/catalog/", None),
        ("citizen", "/home/citizen/", None),
        ("company", "/home/company/", None),
        ("clerk", "/home/clerk/", "clerk"),
        ("hotline", "/home/hotline/", "hotline"),
        ("hotline", "/tickets/new/", "hotline"),
        ("clerk", "/tickets/new/", "clerk"),
    ],
)
def test_the_search_box_is_on_every_placement(
    client: Client, logged_in: Login, username: str | None, path: str, context: str | None
) -> None:
    browser = logged_in(username) if username else client
    response = browser.get(path)
    assert response.status_code == 200
    page = text(response)
    assert page.count(BOX) == 1
    box = guide_box(page)
    assert 'action="/guide/"' in box  # a plain form: works without JavaScript
    assert 'method="get"' in box
    assert 'hx-get="/guide/suggest"' in box
    assert 'maxlength="200"' in box  # the request line stays under gunicorn's limit
    assert 'hx-trigger="input changed delay:250ms, search"' in box
    assert 'hx-target="#guide-suggestions"' in box
    if context:
        assert f'name="ctx" value="{context}"' in box
    else:
        assert 'name="ctx"' not in box


def test_the_catalog_filter_form_still_works_beside_the_box(client: Client) -> None:
    page = text(client.get("/catalog/", {"q": "出生"}))
    assert 'data-testid="search-results"' in page
    assert 'id="catalog-q" name="q" value="出生"' in page
    assert 'value=""' in guide_box(page)  # the catalog's own q is not echoed in the guide box


# ---------------------------------------------------------------- the clerk and the operator


def test_the_clerk_can_start_a_walk_in_application_from_a_result(logged_in: Login) -> None:
    clerk = logged_in("clerk")
    page = text(results(clerk, "孩子刚出生要办什么", ctx="clerk"))
    first = first_result(page)
    assert "窗口代为申请" in first
    action = hrefs(first, "guide-action")[0]
    assert action == f"/cases/staff/window/new/?plan=b%3A{NEWBORN}"
    walk_in = clerk.get(action)
    assert walk_in.status_code == 200
    assert 'value="b:newborn" selected' in text(walk_in)
    assert hrefs(page, "guide-bbcs")[0].startswith("/tickets/new/?type=help&title=")


def test_the_operator_logs_a_consultation_from_a_result(logged_in: Login) -> None:
    operator = logged_in("hotline")
    page = text(results(operator, "老人走了后事怎么办", ctx="hotline"))
    first = first_result(page)
    assert "受理新工单" in first
    action = hrefs(first, "guide-action")[0]
    assert action.startswith("/tickets/new/?type=consult&title=")
    form = text(operator.get(action))
    assert 'value="咨询：身后一件事"' in form
    assert "老人走了后事怎么办</textarea>" in form


def test_the_operator_logs_a_bbcs_ticket_when_nothing_fits(logged_in: Login) -> None:
    operator = logged_in("hotline")
    page = text(results(operator, "想给家里的猫办个证", ctx="hotline"))
    assert "登记“办不成事”工单" in page
    form = text(operator.get(hrefs(page, "guide-bbcs")[0]))
    assert 'value="【办不成事】想给家里的猫办个证"' in form
    assert re.search(r'<option value="help" selected', form)
    assert "群众想办：想给家里的猫办个证。智能导办未找到对应的事项。" in form


def test_a_bad_type_in_the_intake_link_falls_back_to_consultation(logged_in: Login) -> None:
    form = text(logged_in("hotline").get("/tickets/new/", {"type": "nonsense", "title": "x"}))
    assert re.search(r'<option value="consult" selected', form)


@pytest.mark.parametrize(
    ("username", "ctx"),
    [(None, "clerk"), ("citizen", "clerk"), ("citizen", "hotline"), ("clerk", "hotline")],
)
def test_a_context_the_user_does_not_hold_gets_the_portal_page(
    client: Client, logged_in: Login, username: str | None, ctx: str
) -> None:
    browser = logged_in(username) if username else client
    page = text(results(browser, "孩子刚出生要办什么", ctx=ctx))
    assert 'data-testid="guide-action"' not in page
    assert hrefs(page, "guide-bbcs")[0].startswith("/tickets/mine/new/?bbcs=1")


# ---------------------------------------------------------------- query ceilings


def test_query_ceilings(
    client: Client, logged_in: Login, django_assert_max_num_queries: Any
) -> None:
    results(client, "户口")  # the first search in a process builds the index
    with django_assert_max_num_queries(1):  # the freshness token
        assert results(client, "孩子刚出生要办什么").status_code == 200
    with django_assert_max_num_queries(1):
        assert client.get("/guide/suggest", {"q": "社保"}).status_code == 200
    with django_assert_max_num_queries(0):
        assert client.get("/guide/suggest", {"q": " "}).status_code == 200
    clerk = logged_in("clerk")
    # The token, plus what every signed-in page costs: session, user, role assignments (the
    # role switcher) and the two permission queries of the base template's admin link.
    with django_assert_max_num_queries(6):
        assert results(clerk, "孩子刚出生要办什么", ctx="clerk").status_code == 200
