"""帮代办 use cases: record a citizen's consent to a 帮代办专员 (from a window visit or a
"办不成事" ticket), bind an application to it, and revoke it. The agent is named on every
event of a proxied application (`proxy_details`), so the citizen can see who acted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from tongban.core.audit import record_event
from tongban.core.errors import DomainError
from tongban.core.fieldcrypto import lookup_digest
from tongban.core.identifiers import mask_identifier, validate_resident_id
from tongban.core.models import Role, User

from ..models import Application, ConsentMethod, MandateState, ProxyMandate
from ..models.proxy import CONSENT_STATEMENT

# Who may hand a citizen to an agent: the window and the hotline (办不成事 desk).
RECORDERS = (Role.CLERK, Role.HOTLINE)


@dataclass(frozen=True)
class MandateInput:
    principal_name: str
    principal_id_number: str
    agent: User
    scope: str
    consent_method: str
    principal_phone: str = ""
    consent_reference: str = ""
    ticket_number: str = ""


def _checked(data: MandateInput) -> tuple[str, list[str]]:
    problems = []
    if not data.principal_name.strip():
        problems.append("请填写委托人姓名")
    check = validate_resident_id(data.principal_id_number.strip(), timezone.localdate())
    if not check.valid:
        problems.append(f"委托人身份证号码：{check.reason}")
    if not data.agent.has_role(Role.CLERK):
        problems.append("帮代办专员须为窗口工作人员")
    if not data.scope.strip():
        problems.append("请填写委托办理的事项")
    if data.consent_method not in ConsentMethod.values:
        problems.append("请选择委托人确认方式")
    elif data.consent_method != ConsentMethod.IN_PERSON and not data.consent_reference.strip():
        # Consent not given in front of the recorder must be provable later.
        problems.append("非当面确认的，请填写授权书编号、录音编号或短信回执")
    return check.normalized, problems


def _ticket(number: str) -> Any:
    from tongban.tickets.models import Ticket  # tickets link to cases, not the other way

    ticket = Ticket.objects.filter(number=number).first()
    if ticket is None:
        raise DomainError("not_found", f"工单“{number}”不存在", 404)
    return ticket


def proxy_mandate_record(actor: User, data: MandateInput) -> ProxyMandate:
    """Record the citizen's consent; the agent may then apply on their behalf."""
    if not any(actor.has_role(role) for role in RECORDERS):
        raise DomainError("forbidden", "只有窗口工作人员或12345话务员可以登记帮代办", 403)
    id_number, problems = _checked(data)
    if problems:
        raise DomainError("invalid_mandate", problems, 400)
    with transaction.atomic():
        digest = lookup_digest(id_number)
        mandate = ProxyMandate.objects.create(
            principal_name=data.principal_name.strip(),
            principal_id=id_number,
            principal_id_digest=digest,
            principal_id_masked=mask_identifier(id_number),
            principal_phone=data.principal_phone.strip(),
            principal_user=User.objects.filter(id_number_digest=digest).first(),
            agent=data.agent,
            scope=data.scope.strip(),
            consent_method=data.consent_method,
            consent_statement=CONSENT_STATEMENT.format(
                agent=data.agent.full_name or data.agent.username, scope=data.scope.strip()
            ),
            consent_reference=data.consent_reference.strip(),
            consented_at=timezone.now(),
            recorded_by=actor,
            ticket=_ticket(data.ticket_number) if data.ticket_number else None,
        )
        record_event(
            action="proxy.mandate",
            object_type="proxy_mandate",
            object_id=mandate.pk,
            actor=actor,
            role=Role.CLERK if actor.has_role(Role.CLERK) else Role.HOTLINE,
            after={
                "principal": mandate.principal_id_masked,
                "agent": mandate.agent.get_username(),
                "consent": mandate.consent_method,
                "ticket": data.ticket_number or None,
            },
        )
    return mandate


def proxy_mandate_revoke(actor: User, pk: int, *, reason: str) -> ProxyMandate:
    """The citizen (or the staff who recorded it) withdraws the consent; what was already
    submitted stays, but the agent can do nothing more under it."""
    with transaction.atomic():
        mandate = ProxyMandate.objects.select_for_update().filter(pk=pk).first()
        if mandate is None:
            raise DomainError("not_found", "帮代办委托不存在", 404)
        if actor.pk not in (mandate.principal_user_id, mandate.recorded_by_id, mandate.agent_id):
            raise DomainError("forbidden", "只有委托人或登记人可以撤销委托", 403)
        if mandate.state != MandateState.ACTIVE:
            raise DomainError("illegal_transition", "该委托已撤销", 409)
        if not reason.strip():
            raise DomainError("required", "请填写撤销原因", 400)
        mandate.state = MandateState.REVOKED
        mandate.revoked_reason = reason.strip()
        mandate.revoked_at = timezone.now()
        mandate.save(update_fields=["state", "revoked_reason", "revoked_at"])
        record_event(
            action="proxy.revoke",
            object_type="proxy_mandate",
            object_id=mandate.pk,
            actor=actor,
            before={"state": MandateState.ACTIVE},
            after={"state": mandate.state, "reason": mandate.revoked_reason},
        )
    return mandate


def mandate_for_submission(actor: User, mandate_id: int, applicant_digest: str) -> ProxyMandate:
    """The active mandate under which `actor` applies for the applicant (locked)."""
    mandate = ProxyMandate.objects.select_for_update().filter(pk=mandate_id).first()
    if mandate is None:
        raise DomainError("not_found", "帮代办委托不存在", 404)
    if mandate.agent_id != actor.pk:
        raise DomainError("forbidden", "该委托指定的帮代办专员不是您", 403)
    if mandate.state != MandateState.ACTIVE:
        raise DomainError("mandate_revoked", "委托人已撤销该帮代办委托", 409)
    if mandate.principal_id_digest != applicant_digest:
        raise DomainError("mandate_mismatch", "申请人与帮代办委托人不是同一人", 400)
    return mandate


def proxy_details(application: Application) -> dict[str, Any]:
    """What every event of a proxied application carries: the mandate and the agent."""
    if application.proxy_mandate_id is None:
        return {}
    agent = application.proxy_staff
    return {
        "proxy": {
            "mandate": application.proxy_mandate_id,
            "agent": agent.get_username() if agent else "",
            "agent_name": (agent.full_name or agent.get_username()) if agent else "",
        }
    }
