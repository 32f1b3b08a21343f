"""Guide API (/api/v1/guide): public like the catalog — the citizen portal calls it before
anyone has logged in.

The body is checked here rather than by a ninja schema so that every bad query — missing,
not a string, empty, blank — is the same 400 with a Chinese reason, as the portal shows it
as is. A long query is cut by the engine (MAX_QUERY_CHARS), not refused.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from tongban.core.errors import DomainError

from .search import DEFAULT_LIMIT, MAX_LIMIT, guide_search

router = Router(tags=["智能导办"], auth=None)


class GuideRequest(Schema):
    query: str = Field(description="群众的问题，如“孩子刚出生要办什么”；超过200字的部分不参与检索")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="最多返回几条")


REQUEST_BODY = {
    "required": True,
    "content": {"application/json": {"schema": GuideRequest.model_json_schema()}},
}


def _bad(code: str, detail: str) -> DomainError:
    return DomainError(code, detail, status=400)


def parse_guide_request(raw: bytes) -> tuple[str, int]:
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise _bad("bad_request", "请求体不是有效的JSON") from None
    if not isinstance(data, dict):
        raise _bad("bad_request", '请求体应为JSON对象，如 {"query": "孩子出生要办什么"}')
    query = data.get("query")
    if not isinstance(query, str):
        raise _bad("invalid_query", "query 必填，且必须是文字")
    limit = data.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise _bad("invalid_limit", f"limit 应为1到{MAX_LIMIT}之间的整数")
    return query, limit


@router.post(
    "/guide",
    summary="智能导办：用群众的话找到要办的一件事或事项",
    openapi_extra={"requestBody": REQUEST_BODY},
)
def guide(request: HttpRequest) -> dict[str, Any]:
    query, limit = parse_guide_request(request.body)
    answer = guide_search(query, limit)
    return {
        "query": answer.query,
        "truncated": answer.truncated,
        "synonyms": list(answer.synonyms),
        "results": [r.as_json() for r in answer.results],
    }
