"""Per-request facts (request id, channel) that audit events record without threading them
through every function call."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    channel: str = ""


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "tongban_request_context",
    default=RequestContext(),  # noqa: B039  (frozen dataclass: immutable)
)


def current_request_context() -> RequestContext:
    return _current.get()


def set_request_context(context: RequestContext) -> contextvars.Token[RequestContext]:
    return _current.set(context)


def reset_request_context(token: contextvars.Token[RequestContext]) -> None:
    _current.reset(token)
