"""Domain errors: raised by action functions, turned into 4xx responses by the API and
into Chinese messages by the views."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, detail: Any, status: int | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        if status is not None:
            self.status = status
