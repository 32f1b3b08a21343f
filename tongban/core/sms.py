"""Outgoing SMS through a pluggable gateway (`TONGBAN_SMS_GATEWAY`, a dotted class path).

A province connects its own 短信平台 by naming a class with `send(phone, text) -> reference`
that raises `SmsFailed` when the message is refused. The default writes the message to the
log with the number masked, so a fresh machine sends nothing anywhere.
"""

from __future__ import annotations

import logging
import uuid
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from .identifiers import mask_phone

logger = logging.getLogger(__name__)


class SmsFailed(Exception):
    """The gateway refused or could not deliver the message."""


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> str: ...


class LogGateway:
    def send(self, phone: str, text: str) -> str:
        reference = uuid.uuid4().hex[:16]
        logger.info("SMS %s to %s: %s", reference, mask_phone(phone), text)
        return reference


def gateway() -> SmsGateway:
    gateway_class = import_string(settings.TONGBAN_SMS_GATEWAY)
    instance: SmsGateway = gateway_class()
    return instance
