"""Applications and cases under /api/v1: thin handlers that parse, authorise and call."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from ninja import Body, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from tongban.core.api_auth import api_user as _user
from tongban.core.errors import DomainError
from tongban.core.models import Role, User
from tongban.core.workcalendar import current_calendar

from .actions.dispatch import perform_action
from .actions.reads import case_view_personal_data
from .actions.submit import application_submit
from .actions.uploads import upload_material
from .enums import ActingAs, ApplicantKind, Channel
from .inputs import ApplicantInfo, ApplicationInput, MaterialChoice
from .models import Application, Case, Notice
from .notices import notice_pdf_bytes
from .permissions import can_view_application, can_view_case, staff_role, visible_cases
from .queries import application_by_number, bundle_status, case_history, case_page, cases_of
from .serialize import (
    application_dict,
    case_summary,
    event_dict,
    material_dict,
    notice_dict,
    summaries,
)

router = Router(tags=["申请与办件"])


def applying_role(user: User) -> str:
    """The role a user applies in: a staff member at a window, else citizen or company."""
    for role in (Role.CLERK, Role.COMPANY, Role.CITIZEN):
        if user.has_role(role):
            return str(role)
    raise DomainError("forbidden", "当前账号不能提交申请", 403)


class MaterialIn(Schema):
    provision: str = Field(description="upload / commitment / deferred / paper（仅窗口）")
    upload: str | None = Field(default=None, description="POST /uploads 返回的文件标识")
    agreed: bool = False
    supply_by: datetime.date | None = None


class ApplicantIn(Schema):
    kind: str = ApplicantKind.PERSON
    name: str = ""
    id_number: str = ""
    phone: str = ""


class ApplicationIn(Schema):
    bundle: str | None = Field(default=None, description="一件事标识，与 item 二选一")
    item: str | None = Field(default=None, description="事项实施编码，与 bundle 二选一")
    channel: str = Channel.WEB
    answers: dict[str, Any] = {}
    form: dict[str, Any] = {}
    materials: dict[str, MaterialIn] = {}
    applicant: ApplicantIn | None = Field(default=None, description="窗口代为申请时必填")
    acting_as: str = ActingAs.SELF
    agent_name: str = ""
    agent_id_number: str = ""
    proxy_mandate: int | None = Field(
        default=None, description="帮代办：已登记的委托编号（如来自“办不成事”工单）"
    )
    proxy_consent: str = Field(
        default="",
        description="帮代办且无既有委托时，申请人确认方式：signed / in_person / call / sms",
    )
    proxy_consent_reference: str = Field(default="", description="授权书编号、录音编号或短信回执")
    licence_consent: bool = Field(
        default=False,
        description="同意本次申请调用申请人的电子证照：持有有效证照的电子证照类材料免提交，"
        "并留下用证记录；不同意时这些材料需上传",
    )

    def to_input(self) -> ApplicationInput:
        return ApplicationInput(
            bundle=self.bundle,
            item=self.item,
            channel=self.channel,
            answers=self.answers,
            form=self.form,
            materials={k: MaterialChoice(**m.model_dump()) for k, m in self.materials.items()},
            applicant=ApplicantInfo(**self.applicant.model_dump()) if self.applicant else None,
            acting_as=self.acting_as,
            agent_name=self.agent_name,
            agent_id_number=self.agent_id_number,
            proxy_mandate=self.proxy_mandate,
            proxy_consent=self.proxy_consent,
            proxy_consent_reference=self.proxy_consent_reference,
            licence_consent=self.licence_consent,
        )


@router.post("/uploads", summary="上传材料文件（类型按内容识别，限制大小，记录SHA-256）")
def create_upload(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    upload = upload_material(_user(request), file)
    return {
        "id": str(upload.public_id),
        "name": upload.original_name,
        "content_type": upload.content_type,
        "size": upload.size,
        "sha256": upload.sha256,
    }


def _application_response(application: Application) -> dict[str, Any]:
    cal = current_calendar()  # one snapshot for the bundle's status and every case
    cases = cases_of(application)
    return application_dict(application, cases, bundle_status(cases, cal=cal), cal)


@router.post(
    "/applications",
    response={201: dict[str, Any]},
    summary="提交申请（一件事或单个事项）；支持 Idempotency-Key 防重复提交",
)
def submit_application(request: HttpRequest, body: ApplicationIn) -> Status[dict[str, Any]]:
    user = _user(request)
    key = request.headers.get("Idempotency-Key") or None
    if key is not None and not 1 <= len(key) <= 100:
        raise DomainError("bad_idempotency_key", "Idempotency-Key 长度应为1–100个字符", 400)
    application = application_submit(
        user, applying_role(user), body.to_input(), idempotency_key=key
    )
    return Status(201, _application_response(application))


@router.get("/applications/{number}", summary="申请详情：各办件的状态、部门、期限、预警")
def get_application(request: HttpRequest, number: str) -> dict[str, Any]:
    application = application_by_number(number)
    if not can_view_application(_user(request), application):
        raise DomainError("not_found", f"申请“{number}”不存在", 404)
    return _application_response(application)


class CaseFilter(Schema):
    department: str | None = None
    state: str | None = None
    warning: str | None = None
    due_before: datetime.date | None = None
    after: str | None = Field(default=None, description="上一页返回的 next_cursor")
    limit: int = Field(default=50, ge=1, le=200)


@router.get("/cases", summary="办件列表（按承诺期限排序，键集分页）")
def list_cases(request: HttpRequest, filters: Query[CaseFilter]) -> dict[str, Any]:
    from tongban.core.models import Department

    department_id = None
    if filters.department:
        department_id = (
            Department.objects.filter(code=filters.department).values_list("pk", flat=True).first()
        )
        if department_id is None:
            raise DomainError("not_found", f"部门“{filters.department}”不存在", 404)
    page = case_page(
        visible_cases(_user(request)),
        department=department_id,
        state=filters.state,
        warning=filters.warning,
        due_before=filters.due_before,
        after=filters.after,
        limit=filters.limit,
    )
    return {"results": summaries(page.cases), "next_cursor": page.next_cursor}


def _visible_case(request: HttpRequest, case_no: str) -> Case:
    case = Case.objects.select_related("department", "application").filter(case_no=case_no).first()
    if case is None or not can_view_case(_user(request), case):
        raise DomainError("not_found", f"办件“{case_no}”不存在", 404)
    return case


@router.get("/cases/{case_no}", summary="办件详情（含办理过程、材料、文书）")
def get_case(request: HttpRequest, case_no: str) -> dict[str, Any]:
    user = _user(request)
    case = _visible_case(request, case_no)
    role = staff_role(user, case)
    application = case.application
    data = case_summary(case)
    if role is not None:
        # Staff reading a full record with personal data: that read is itself audited.
        case_view_personal_data(user, role, case)
    data["applicant"] = {
        "kind": application.applicant_kind,
        "name": application.applicant_name,
        "id_number": application.applicant_id,
        "phone": application.applicant_phone,
        "acting_as": application.acting_as,
        "agent_name": application.agent_name,
        "agent_id": application.agent_id_masked,
    }
    data["form"] = application.form
    data["materials"] = [
        material_dict(m)
        for m in application.materials.filter(replaced_at__isnull=True).select_related("upload")
        if case.item_code in m.items
    ]
    public = None if role is not None else case.department.name
    data["history"] = [event_dict(e, public) for e in case_history(case)]
    data["notices"] = [notice_dict(n) for n in case.notices.select_related("case")]
    return data


@router.post(
    "/cases/{case_no}/actions/{action}", summary="办件操作（受理、补正告知、审批、送达等）"
)
def case_action(
    request: HttpRequest, case_no: str, action: str, body: Body[dict[str, Any] | None] = None
) -> dict[str, Any]:
    case = perform_action(_user(request), case_no, action, body or {})
    return case_summary(case)


@router.get("/cases/{case_no}/notices/{number}.pdf", summary="下载文书（PDF）")
def notice_pdf(request: HttpRequest, case_no: str, number: str) -> HttpResponse:
    case = _visible_case(request, case_no)
    notice = Notice.objects.filter(case=case, number=number).first()
    if notice is None:
        raise DomainError("not_found", f"文书“{number}”不存在", 404)
    pdf = notice_pdf_bytes(notice)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(notice.number)}.pdf"
    return response
