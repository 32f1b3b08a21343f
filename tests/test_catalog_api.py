"""The public catalog API: shapes, 4xx errors, and query counts of the hot paths."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from .conftest import post_json

pytestmark = pytest.mark.usefixtures("mini_catalog")


def test_items_list_and_filters(client: Client) -> None:
    everything = client.get("/api/v1/catalog/items").json()
    assert {i["code"] for i in everything} == {"A0001", "B0001", "C0001", "D0001"}
    found = client.get("/api/v1/catalog/items", {"q": "出生"}).json()
    # Ordered by department, then name.
    assert [i["name"] for i in found] == ["出生医学证明签发", "出生登记"]
    by_department = client.get("/api/v1/catalog/items", {"department": "yy-gongan"}).json()
    assert [i["code"] for i in by_department] == ["B0001"]
    by_type = client.get("/api/v1/catalog/items", {"type": "行政确认"}).json()
    assert [i["code"] for i in by_type] == ["B0001"]
    assert client.get("/api/v1/catalog/items", {"type": "01"}).json() == []
    bad = client.get("/api/v1/catalog/items", {"type": "行政处罚"})
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_type"


def test_item_guide(client: Client) -> None:
    item = client.get("/api/v1/catalog/items/D0001").json()
    assert item["name"] == "社会保障卡申领"
    assert item["department"] == {"code": "yy-renshe", "name": "岳阳市人力资源和社会保障局"}
    assert item["statutory_limit"] == {"days": 20, "unit": "自然日"}
    assert item["statutory_days"] == 15
    assert item["promised_days"] == 5
    assert [m["name"] for m in item["materials"]] == ["近期免冠照片", "居民身份证"]
    missing = client.get("/api/v1/catalog/items/NOPE")
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "detail": "没有找到事项“NOPE”"}


def test_bundles_list_and_detail(client: Client) -> None:
    bundles = client.get("/api/v1/catalog/bundles").json()
    assert [(b["code"], b["name"]) for b in bundles] == [
        ("newborn-mini", "新生儿出生一件事（测试）")
    ]
    detail = client.get("/api/v1/catalog/bundles/newborn-mini").json()
    assert [i["code"] for i in detail["items"]] == ["A0001", "B0001", "C0001", "D0001"]
    assert detail["edges"][0] == {
        "from": "A0001",
        "to": "B0001",
        "satisfies": "birth_medical_certificate",
    }
    assert [q["key"] for q in detail["questions"]] == ["born_here", "want_card", "married"]
    assert client.get("/api/v1/catalog/bundles/nope").status_code == 404


def checklist(client: Client, answers: dict[str, Any]) -> Any:
    return post_json(client, "/api/v1/catalog/bundles/newborn-mini/checklist", {"answers": answers})


def test_bundle_checklist(client: Client) -> None:
    first = checklist(client, {}).json()
    assert [q["key"] for q in first["questions"]] == ["born_here", "want_card", "married"]
    answered = checklist(client, {"born_here": "yes", "want_card": "no", "married": "yes"}).json()
    assert answered["questions"] == []
    assert answered["complete"] is True
    names = {m["name"]: m for m in answered["materials"]}
    assert names["结婚证"]["necessity"] == "必须"
    assert names["出生医学证明"]["produced_by"] == "A0001"
    assert names["出生医学证明"]["applicant_provides"] is False
    assert [f["key"] for f in answered["form_fields"]] == [
        "child.name",
        "applicant.id_number",
        "applicant.phone",
    ]
    assert answered["promised_days"] == 10
    assert answered["visits"] == 1


def test_item_checklist(client: Client) -> None:
    response = post_json(
        client, "/api/v1/catalog/items/B0001/checklist", {"answers": {"married": "no"}}
    )
    body = response.json()
    assert [q["key"] for q in body["questions"]] == ["born_here"]
    assert "非婚生育情况说明" in [m["name"] for m in body["materials"]]
    assert body["promised_days"] == 5


def test_bad_answers_are_a_400_with_reasons(client: Client) -> None:
    response = checklist(client, {"married": "perhaps", "ghost": "yes"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_answers"
    assert {p["question"] for p in body["detail"]} == {"married", "ghost"}
    not_an_object = post_json(
        client, "/api/v1/catalog/bundles/newborn-mini/checklist", {"answers": [1]}
    )
    assert not_an_object.status_code == 422


def test_bundle_metrics(client: Client) -> None:
    metrics = client.get("/api/v1/catalog/bundles/newborn-mini/metrics").json()
    assert metrics["working_days"] == {"before": 75, "after": 13, "reduction_rate": 82.7}
    assert metrics["time_reduction_rate"] == 82.7
    assert metrics["materials"] == {"before": 12, "after": 6, "reduction_rate": 50.0}
    assert metrics["step_compression_rate"] == 72.7
    catalog = client.get("/api/v1/catalog/metrics").json()
    assert catalog["items"] == 4
    assert catalog["fully_online_rate"] == 50.0


def test_checklist_query_count_is_small_and_flat(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    checklist(client, {})  # warm the cache of published specs
    # Current bundle version, current item versions, department names.
    with django_assert_max_num_queries(3):
        assert checklist(client, {"born_here": "yes"}).status_code == 200
    # The plan's two version checks, plus one aggregate for the measured 免提交 share.
    with django_assert_max_num_queries(3):
        assert client.get("/api/v1/catalog/bundles/newborn-mini/metrics").status_code == 200


def test_a_cold_checklist_loads_each_table_once(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    # Bundle + its content (4) and the items' content (6), whatever the number of items.
    with django_assert_max_num_queries(14):
        assert checklist(client, {}).status_code == 200
