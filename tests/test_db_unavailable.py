"""The database is away: 503 + Retry-After + a Chinese message, never a 500 or a traceback,
and the next request after it comes back works again (tongban/core/db_unavailable.py)."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import (
    DataError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    connection,
)
from django.db.backends.utils import CursorWrapper
from django.test import Client

from tongban.core.db_unavailable import ERROR_CODE, RETRY_AFTER_SECONDS, is_database_unavailable
from tongban.core.demo import DEMO_PASSWORD

from .conftest import post_json

POSTGRES = connection.vendor == "postgresql"


def wrapped(django_class: type[Exception], driver_error: Exception) -> Exception:
    """What Django raises: its own class, with the driver's error as __cause__."""
    try:
        raise django_class(str(driver_error)) from driver_error
    except Exception as exc:
        return exc


def driver_unavailable_error() -> Exception:
    """The driver's error when the server is away (or, on SQLite, the write lock is)."""
    if POSTGRES:
        return psycopg.OperationalError(
            "consuming input failed: server closed the connection unexpectedly"
        )
    return sqlite3.OperationalError("database is locked")


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        pytest.param(
            wrapped(
                OperationalError,
                psycopg.OperationalError(
                    'connection failed: connection to server at "127.0.0.1", port 5499 '
                    "failed: Connection refused"
                ),
            ),
            True,
            id="pg-refused",
        ),
        pytest.param(
            wrapped(OperationalError, psycopg.errors.AdminShutdown("terminating connection")),
            True,
            id="pg-admin-shutdown",
        ),
        pytest.param(
            wrapped(OperationalError, psycopg.errors.CannotConnectNow("starting up")),
            True,
            id="pg-starting-up",
        ),
        pytest.param(
            wrapped(OperationalError, psycopg.errors.TooManyConnections("too many")),
            True,
            id="pg-too-many-connections",
        ),
        pytest.param(
            wrapped(InterfaceError, psycopg.InterfaceError("the connection is closed")),
            True,
            id="pg-closed",
        ),
        pytest.param(InterfaceError("connection already closed"), True, id="django-closed"),
        pytest.param(
            wrapped(OperationalError, sqlite3.OperationalError("database is locked")),
            True,
            id="sqlite-locked",
        ),
        # Programming and deployment errors stay 500s.
        pytest.param(
            wrapped(OperationalError, sqlite3.OperationalError("no such table: cases_case")),
            False,
            id="sqlite-no-table",
        ),
        pytest.param(
            wrapped(OperationalError, sqlite3.OperationalError("unable to open database file")),
            False,
            id="sqlite-cannot-open",
        ),
        pytest.param(
            wrapped(OperationalError, psycopg.errors.QueryCanceled("statement timeout")),
            False,
            id="pg-statement-timeout",
        ),
        pytest.param(
            wrapped(OperationalError, psycopg.errors.DeadlockDetected("deadlock")),
            False,
            id="pg-deadlock",
        ),
        pytest.param(
            wrapped(InterfaceError, psycopg.InterfaceError("the cursor is closed")),
            False,
            id="pg-cursor-closed",
        ),
        pytest.param(
            wrapped(ProgrammingError, psycopg.errors.UndefinedTable("no such table")),
            False,
            id="pg-undefined-table",
        ),
        pytest.param(wrapped(IntegrityError, sqlite3.IntegrityError("UNIQUE")), False, id="unique"),
        pytest.param(DataError("value too long"), False, id="data"),
        pytest.param(OperationalError("something else"), False, id="bare-operational"),
        pytest.param(ValueError("connection is closed"), False, id="not-a-db-error"),
    ],
)
def test_only_an_unreachable_database_counts_as_unavailable(
    error: Exception, unavailable: bool
) -> None:
    assert is_database_unavailable(error) is unavailable


def database_away(self: CursorWrapper, *args: Any, **kwargs: Any) -> Any:
    """CursorWrapper.execute while the server is gone: the driver's error goes through
    Django's wrapper, so the test sees exactly what Django raises for real."""
    with self.db.wrap_database_errors:
        raise driver_unavailable_error()


def assert_api_503(response: Any) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] == ERROR_CODE
    assert "数据库" in body["detail"]
    assert "Traceback" not in response.content.decode()


def assert_page_503(response: Any) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    html = response.content.decode()
    assert "服务暂时不可用" in html
    assert "请稍后重试" in html
    assert "Traceback" not in html
    assert "OperationalError" not in html


@pytest.fixture
def citizen_token(api_token: Callable[[str], str]) -> str:
    return api_token("citizen")


def test_api_503_then_recovers(
    client: Client, citizen_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = {"Authorization": f"Bearer {citizen_token}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    with monkeypatch.context() as away:
        away.setattr(CursorWrapper, "execute", database_away)
        # The token check (auth callback) and an anonymous endpoint (the view itself).
        assert_api_503(client.get("/api/v1/me", headers=auth))
        assert_api_503(client.get("/api/v1/regions"))
    response = client.get("/api/v1/me", headers=auth)
    assert response.status_code == 200
    assert response.json()["username"] == "citizen"


def test_page_503_then_recovers(
    client: Client, demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert client.get("/catalog/").status_code == 200
    with monkeypatch.context() as away:
        away.setattr(CursorWrapper, "execute", database_away)
        assert_page_503(client.get("/catalog/"))
    assert client.get("/catalog/").status_code == 200


def test_failure_in_a_middleware_is_503_too(demo: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session save failing after the view ran: Django has made it a 500 already; the
    middleware swaps it for the 503."""
    client = Client(raise_request_exception=False)

    def failing_response(self: SessionMiddleware, request: Any, response: Any) -> Any:
        raise wrapped(OperationalError, driver_unavailable_error())

    with monkeypatch.context() as broken:
        broken.setattr(SessionMiddleware, "process_response", failing_response)
        assert_page_503(client.get("/catalog/"))
        assert_api_503(client.get("/api/v1/regions"))


def test_a_programming_error_stays_a_500(
    client: Client, demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(self: CursorWrapper, *args: Any, **kwargs: Any) -> Any:
        with self.db.wrap_database_errors:
            if POSTGRES:
                raise psycopg.errors.UndefinedColumn('column "nope" does not exist')
            raise sqlite3.OperationalError("no such column: nope")

    # A context, so the test database's own teardown queries run unpatched.
    with monkeypatch.context() as broken:
        broken.setattr(CursorWrapper, "execute", failing)
        response = client.get("/api/v1/regions")
        page = Client(raise_request_exception=False).get("/catalog/")
    assert response.status_code == 500
    assert response.json()["error"] == "server_error"
    assert "Retry-After" not in response
    assert page.status_code == 500
    assert "Retry-After" not in page


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def refused_connection_is_503_and_the_next_request_reconnects(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """For real: the connection is closed and pointed at a port nobody listens on."""
    assert client.get("/api/v1/regions").status_code == 200
    connection.close()
    with monkeypatch.context() as away:
        away.setitem(connection.settings_dict, "HOST", "127.0.0.1")
        away.setitem(connection.settings_dict, "PORT", closed_port())
        assert_api_503(client.get("/api/v1/regions"))
        assert_page_503(client.get("/catalog/"))
    assert client.get("/api/v1/regions").status_code == 200


def backend_pid() -> int:
    return int(connection.connection.info.backend_pid)


def a_killed_connection_is_dropped_and_the_next_request_reconnects(client: Client) -> None:
    """The server ends our session (as a restart or failover does): that request is a 503,
    the dead connection is discarded, and the next request opens a new one."""
    assert client.get("/api/v1/regions").status_code == 200
    pid = backend_pid()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert_api_503(client.get("/api/v1/regions"))
    assert connection.connection is None, "the dead connection should have been discarded"
    assert client.get("/api/v1/regions").status_code == 200
    assert backend_pid() != pid


def sqlite_locked_for_longer_than_the_busy_timeout_is_503(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real "database is locked": another process holds the write lock past a (shortened)
    busy timeout while we write (issuing a token). With WAL, reads go on regardless. It
    should never happen with the 20 s timeout of settings.py; if it does, the client is
    told to retry rather than shown a 500."""
    login = {"username": "citizen", "password": DEMO_PASSWORD}
    connection.close()
    options = dict(connection.settings_dict["OPTIONS"])
    options["timeout"] = 0.1
    options["init_command"] = str(options["init_command"]).replace(
        "busy_timeout=20000", "busy_timeout=100"
    )
    holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    try:
        with monkeypatch.context() as locked:
            locked.setitem(connection.settings_dict, "OPTIONS", options)
            holder.execute("BEGIN IMMEDIATE")
            assert_api_503(post_json(client, "/api/v1/auth/token", login))
            assert client.get("/api/v1/regions").status_code == 200  # WAL: reads go on
            holder.execute("ROLLBACK")
            assert post_json(client, "/api/v1/auth/token", login).status_code == 200
    finally:
        holder.close()
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_the_real_database_going_away_is_a_503_and_the_service_recovers(
    client: Client, demo: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each database's own way of being away, for real (no mocks): PostgreSQL refusing the
    connection and ending our session; SQLite's write lock held past the busy timeout."""
    if POSTGRES:
        refused_connection_is_503_and_the_next_request_reconnects(client, monkeypatch)
        a_killed_connection_is_dropped_and_the_next_request_reconnects(client)
    else:
        sqlite_locked_for_longer_than_the_busy_timeout_is_503(client, monkeypatch)
