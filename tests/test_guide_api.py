"""POST /api/v1/guide on the mini catalog: shape, anonymous use, 400 for every bad query,
long queries, limits, one query per search, and the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from tongban.guide.actions import guide_save_synonym
from tongban.guide.index import forget_index
from tongban.guide.search import guide_search

from .conftest import post_json

GUIDE = "/api/v1/guide"


@pytest.fixture
def guide_world(mini_catalog: None) -> None:
    """The mini catalog plus two synonyms; the in-process index starts cold."""
    forget_index()
    guide_save_synonym(phrase="生孩子", terms="出生 新生儿", actor=None)
    guide_save_synonym(phrase="社保卡", terms="社会保障卡", actor=None)


pytestmark = pytest.mark.usefixtures("guide_world")


def ask(client: Client, payload: Any) -> Any:
    return post_json(client, GUIDE, payload)


def test_anonymous_query_gets_ranked_results_with_reasons(client: Client) -> None:
    response = ask(client, {"query": "生孩子要办什么", "limit": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["synonyms"] == ["生孩子"]
    assert body["truncated"] is False
    first = body["results"][0]
    assert first == {
        "kind": "bundle",
        "code": "newborn-mini",
        "name": "新生儿出生一件事（测试）",
        "score": first["score"],
        "matched": first["matched"],
    }
    assert {"出生", "新生儿"} <= set(first["matched"])
    assert len(body["results"]) == 3
    assert "\\u" not in response.content.decode()  # Chinese leaves unescaped


# The same golden answer on SQLite and on PostgreSQL (CI runs this file on both): the
# engine reads no database text search, and orders ties by kind and code.
GOLDEN = {
    "生孩子": [
        ("bundle", "newborn-mini", 1.769, ("出生", "新生儿")),
        ("item", "B0001", 0.853, ("出生", "新生儿")),
        ("item", "A0001", 0.563, ("出生",)),
    ],
    "社保卡": [
        ("item", "D0001", 2.024, ("社会保障卡",)),
        ("bundle", "newborn-mini", 0.57, ("社会保障卡",)),
        ("item", "C0001", 0.044, ("保障",)),
    ],
    "户口": [("item", "B0001", 1.016, ("户口",)), ("item", "C0001", 0.298, ("户口",))],
}


@pytest.mark.parametrize("query", sorted(GOLDEN))
def test_same_answer_on_every_database(query: str) -> None:
    results = guide_search(query, 3).results
    assert [(r.kind, r.code, r.score, r.matched) for r in results] == GOLDEN[query]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"query": ""}, "empty_query"),
        ({"query": "   \u3000\n"}, "empty_query"),
        ({}, "invalid_query"),
        ({"query": None}, "invalid_query"),
        ({"query": 42}, "invalid_query"),
        ({"query": ["户口"]}, "invalid_query"),
        ({"query": "户口", "limit": 0}, "invalid_limit"),
        ({"query": "户口", "limit": 51}, "invalid_limit"),
        ({"query": "户口", "limit": "5"}, "invalid_limit"),
        ({"query": "户口", "limit": True}, "invalid_limit"),
        (["户口"], "bad_request"),
    ],
)
def test_bad_queries_are_400_with_a_chinese_reason(client: Client, payload: Any, code: str) -> None:
    response = ask(client, payload)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in response.json()["detail"])


def test_broken_json_is_400(client: Client) -> None:
    response = client.post(GUIDE, data="{query", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


def test_a_2000_character_query_is_cut_not_refused(client: Client) -> None:
    story = "孩子出生了，" + "然后我想问问" * 400
    assert len(story) > 2000
    response = ask(client, {"query": story})
    assert response.status_code == 200
    body = response.json()
    assert body["truncated"] is True
    assert len(body["query"]) == 200
    assert body["results"][0]["code"] == "newborn-mini"


def test_a_warm_search_costs_one_query(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    guide_search("户口")  # builds the index
    with django_assert_num_queries(1):  # the freshness token
        assert guide_search("出生证明").results


def test_the_openapi_document_describes_the_body(client: Client) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    operation = spec["paths"][GUIDE]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["query"]
