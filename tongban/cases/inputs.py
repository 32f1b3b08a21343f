"""What an application is made of, as plain data: parsed by the API and the views, read by
the action functions."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from .enums import ActingAs, ApplicantKind, Channel


@dataclass(frozen=True)
class MaterialChoice:
    """How the applicant provides one material of the checklist."""

    provision: str  # Provision: upload, commitment, deferred or paper (window only)
    upload: str | None = None  # Upload.public_id for an upload
    agreed: bool = False  # the commitment text was shown and agreed to
    supply_by: datetime.date | None = None  # for 容缺后补


@dataclass(frozen=True)
class ApplicantInfo:
    kind: str = ApplicantKind.PERSON
    name: str = ""
    id_number: str = ""  # resident ID (person) or USCC (company)
    phone: str = ""


@dataclass(frozen=True)
class ApplicationInput:
    bundle: str | None = None
    item: str | None = None
    channel: str = Channel.WEB
    answers: dict[str, Any] = field(default_factory=dict)
    form: dict[str, Any] = field(default_factory=dict)
    materials: dict[str, MaterialChoice] = field(default_factory=dict)
    # Required when a clerk applies for a walk-in; None online (the account is the applicant).
    applicant: ApplicantInfo | None = None
    acting_as: str = ActingAs.SELF
    agent_name: str = ""
    agent_id_number: str = ""
    # 帮代办: an existing mandate (from a 办不成事 ticket), or the consent method the clerk
    # records on the spot when the walk-in asks the window to act for them.
    proxy_mandate: int | None = None
    proxy_consent: str = ""
    proxy_consent_reference: str = ""
    # The applicant agrees that held electronic licences replace materials (免提交); without
    # it nothing is fetched from the licence store and those materials are uploaded instead.
    licence_consent: bool = False
