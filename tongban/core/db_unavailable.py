"""503 + Retry-After while the database is away, instead of a 500 and a traceback.

A PostgreSQL restart, failover or a refused connection is not a bug in the request: the
right answer is "try again in a few seconds" (503 with Retry-After), in the API's JSON
error shape under /api/ and as a Chinese page elsewhere. The process must then recover
by itself: the broken connection is dropped so the next request opens a new one
(Django's CONN_HEALTH_CHECKS also tests a reused connection before its first query).

Only errors that mean "the database cannot be reached" become 503; everything else —
SQL mistakes, a missing table, deadlocks, statement timeouts — stays a 500 and is logged
with its traceback, so a programming error is never hidden behind "try again later":

- PostgreSQL (psycopg 3): an OperationalError without SQLSTATE (connection refused,
  server closed the connection unexpectedly, connection lost), SQLSTATE class 08
  (connection exception), 57P01/57P02/57P03 (admin shutdown, crash shutdown, cannot
  connect now — the server is stopping or starting) and 53300 (too many connections);
  an InterfaceError saying the connection is closed or lost.
- SQLite: "database is locked" / "database is busy". With WAL, IMMEDIATE transactions and
  a 20 s busy timeout (settings.py) it should never happen; if it does, the writer queue
  was longer than 20 s, which is load, not a bug, so the client is told to retry.
  Everything else from SQLite ("no such table", "unable to open database file") is a
  deployment or programming error and stays a 500.

Three places use this module: the API's exception handler (tongban/api.py) for
/api/v1, `DatabaseUnavailableMiddleware.process_exception` for page views, and the
middleware's `__call__` for errors raised by inner middleware (e.g. a session save),
which Django has already turned into a 500 by then: the `got_request_exception` signal
marks the request, and the middleware swaps that 500 for the 503.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
ERROR_CODE = "database_unavailable"
MESSAGE = "系统暂时无法连接数据库，请稍后重试。已提交的申请不会丢失，重试不会重复提交。"
PAGE_TITLE = "服务暂时不可用"

# SQLSTATEs that mean the server is unreachable, stopping, starting or full (see above).
_UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03", "53300"}
_CLOSED_PHRASES = ("connection is closed", "connection is lost", "connection already closed")
_SQLITE_BUSY_PHRASES = ("database is locked", "database is busy")
_MARK = "_tongban_db_unavailable"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and what it wraps (Django sets __cause__ to the driver's error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__


def is_database_unavailable(exc: BaseException) -> bool:
    """True when exc says the database cannot be reached right now (not a bug)."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    for error in _causes(exc):
        text = str(error).lower()
        if isinstance(error, psycopg.OperationalError):
            sqlstate = error.sqlstate
            return (
                sqlstate is None or sqlstate.startswith("08") or sqlstate in _UNAVAILABLE_SQLSTATES
            )
        if isinstance(error, psycopg.InterfaceError):
            return any(phrase in text for phrase in _CLOSED_PHRASES)
        if isinstance(error, sqlite3.OperationalError):
            return text.startswith(_SQLITE_BUSY_PHRASES)
    # Django's own "connection already closed" has no driver error behind it.
    return isinstance(exc, InterfaceError) and any(
        phrase in str(exc).lower() for phrase in _CLOSED_PHRASES
    )


def discard_broken_connections() -> None:
    """Close every connection that no longer works, so the next query reconnects.

    Django does the same when the request finishes (close_old_connections); doing it here
    as well means nothing later in this request reuses a dead connection. Connections
    inside an atomic block (a test's transaction) are left to their owner.
    """
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or connection.in_atomic_block:
            continue
        try:
            connection.close_if_unusable_or_obsolete()
        except Exception:
            connection.connection = None


def _log(request: HttpRequest, exc: BaseException) -> None:
    # One line, no traceback: during an outage every request lands here.
    logger.warning(
        "Database unavailable, answering 503: %s %s: %s: %s",
        request.method,
        request.path,
        type(exc.__cause__ or exc).__name__,
        str(exc).strip().splitlines()[0] if str(exc).strip() else "",
    )


def page_response() -> HttpResponse:
    # Rendered without the request: no context processors, session or user, so no query.
    html = render_to_string(
        "503.html",
        {"title": PAGE_TITLE, "text": MESSAGE, "retry_after": RETRY_AFTER_SECONDS},
    )
    response = HttpResponse(html, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def api_response(
    create: Callable[[HttpRequest, int, str, Any], HttpResponse] | None, request: HttpRequest
) -> HttpResponse:
    """The API's error shape; `create` is tongban.api.error_response when called from there."""
    if create is not None:
        response = create(request, 503, ERROR_CODE, MESSAGE)
    else:
        response = JsonResponse(
            {"error": ERROR_CODE, "detail": MESSAGE},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def unavailable_response(
    request: HttpRequest,
    exc: BaseException,
    create: Callable[[HttpRequest, int, str, Any], HttpResponse] | None = None,
) -> HttpResponse:
    """Log one line, drop broken connections and answer 503 for this request."""
    _log(request, exc)
    discard_broken_connections()
    if request.path.startswith("/api/"):
        response = api_response(create, request)
    else:
        response = page_response()
    # Logged above in one line; keeps Django from adding an ERROR line for every 5xx.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _mark_request(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Sent from inside Django's except block, so sys.exc_info() is the exception.
    exc = sys.exc_info()[1]
    if request is not None and exc is not None and is_database_unavailable(exc):
        setattr(request, _MARK, exc)


got_request_exception.connect(_mark_request, dispatch_uid="tongban.db_unavailable")


class DatabaseUnavailableMiddleware:
    """Answers 503 + Retry-After when the database cannot be reached (see module doc).

    Sits above SessionMiddleware so a failing session load or save is caught too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        exc = getattr(request, _MARK, None)
        if exc is not None and response.status_code == 500:
            return unavailable_response(request, exc)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return unavailable_response(request, exception)
        return None
