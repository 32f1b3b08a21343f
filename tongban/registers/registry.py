"""Which adapter answers which register: settings.TONGBAN_REGISTER_ADAPTERS maps the
register's name as the catalog writes it to the dotted path of an adapter class.

A deployment plugs in its own connections there (or in the JSON of the environment variable
of the same name). A register with no adapter is not checked by the system: the department
verifies it during review, and the material says so.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .contract import RegisterAdapter


def adapter_for(register: str) -> RegisterAdapter | None:
    path = settings.TONGBAN_REGISTER_ADAPTERS.get(register)
    if not path:
        return None
    adapter: RegisterAdapter = import_string(path)()
    return adapter


def configured_registers() -> list[str]:
    return sorted(settings.TONGBAN_REGISTER_ADAPTERS)
