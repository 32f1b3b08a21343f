"""Small builders for catalog specs: a valid item or bundle, changed only where a test says."""

from __future__ import annotations

from typing import Any

from tongban.catalog.spec import BundleSpec, ItemSpec


def item_data(code: str = "T0001", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": code,
        "basic_code": "000000000099",
        "department": "yy-gongan",
        "name": f"测试事项{code}",
        "type": "行政确认",
        "service_objects": ["自然人"],
        "statutory_limit": {"days": 20},
        "promised_limit": {"days": 5},
        "case_kind": "承诺件",
        "visits": 0,
        "online_depth": "全程网办",
        "delivery": ["邮寄"],
        "legal_basis": "《测试条例》",
        "result": {"type": "出文办结", "name": "决定书"},
        "steps": ["受理", "审核", "决定"],
        "materials": [{"key": "id_card", "name": "居民身份证"}],
    }
    data.update(overrides)
    return data


def make_item(code: str = "T0001", **overrides: Any) -> ItemSpec:
    return ItemSpec.model_validate(item_data(code, **overrides))


def make_bundle(
    items: list[Any],
    links: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
    **overrides: Any,
) -> BundleSpec:
    data: dict[str, Any] = {
        "code": "test-bundle",
        "name": "测试一件事",
        "audience": "个人",
        "lead_department": "yy-gongan",
        "items": items,
        "edges": [{"from": u, "to": d} for u, d in links],
    }
    data.update(overrides)
    return BundleSpec.model_validate(data)
