"""The content of the written notices (文书) a case produces, frozen when issued.

The wording follows the 行政许可法: 受理 and 一次性告知 (§32), 不予受理 and 不予许可 with the
reason and the applicant's rights to 行政复议 and 行政诉讼 (§38), 准予许可 (§38–§39).
"""

from __future__ import annotations

import dataclasses
import datetime
from urllib.parse import quote

from django.conf import settings
from django.utils import timezone

from tongban.core.models import Department

from .enums import NoticeKind
from .models import Case, Notice
from .notice_data import NoticeData
from .numbering import notice_number

_LETTER: dict[str, str] = {
    NoticeKind.ACCEPTANCE: "受",
    NoticeKind.SUPPLEMENT: "补",
    NoticeKind.REFUSAL: "不受",
    NoticeKind.APPROVAL: "准",
    NoticeKind.DENIAL: "不准",
}

_RIGHTS = (
    "如不服本决定，可以自收到本文书之日起六十日内依法申请行政复议，"
    "或者自收到本文书之日起六个月内依法向人民法院提起行政诉讼。"
)


def _date(day: datetime.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else "—"


def _opening(case: Case) -> str:
    submitted = timezone.localdate(case.application.submitted_at or case.received_at)
    return f"你（单位）于{_date(submitted)}提出的“{case.item_name}”申请"


def _rows(case: Case, department: Department) -> list[tuple[str, str]]:
    rows = [("办件编号", case.case_no), ("申请编号", case.application.number or "")]
    if department.phone:
        rows.append(("咨询电话", department.phone))
    return rows


def _content(
    case: Case, kind: str, reason: str, legal_basis: str
) -> tuple[list[str], list[tuple[str, str]]]:
    department = case.department
    rows = _rows(case, department)
    opening = _opening(case)
    if kind == NoticeKind.ACCEPTANCE:
        rows += [
            ("受理日期", _date(case.accepted_on)),
            ("承诺办结期限", _date(case.promised_due)),
            ("法定办结期限", _date(case.statutory_due)),
        ]
        text = (
            f"{opening}，经审查，申请材料齐全、符合法定形式。根据《中华人民共和国行政许可法》"
            f"第三十二条的规定，本机关决定予以受理，并将在承诺办结期限内作出决定。"
        )
        extra = "办理期间如需进行听证、检验、检测、鉴定或专家评审，所需时间不计入办理期限，届时将书面告知。"
        return [text, extra], rows
    if kind == NoticeKind.SUPPLEMENT:
        text = (
            f"{opening}，经审查，申请材料不齐全或者不符合法定形式。根据《中华人民共和国行政许可法》"
            f"第三十二条第一款第（四）项的规定，现一次性告知需要补正的全部内容（见下表）。"
        )
        after = (
            "请按要求补正后重新提交。补正材料期间不计入办理时限，补正材料齐全后本机关将予以受理。"
        )
        paragraphs = [text, after] + ([f"说明：{reason}"] if reason else [])
        return paragraphs, rows
    if kind == NoticeKind.REFUSAL:
        text = f"{opening}，经审查，{reason}。"
        basis = (
            f"根据{legal_basis}，本机关决定不予受理。" if legal_basis else "本机关决定不予受理。"
        )
        return [text, basis, _RIGHTS], rows
    if kind == NoticeKind.APPROVAL:
        rows.append(("办理结果", case.result_name))
        basis = legal_basis or case.legal_basis
        text = (
            f"{opening}，经审查，符合法定条件、标准。"
            + (f"根据{basis}，" if basis else "")
            + f"本机关决定准予办理，办理结果为“{case.result_name}”。"
        )
        paragraphs = [text] + ([f"审批意见：{reason}"] if reason else [])
        return paragraphs, rows
    text = f"{opening}，经审查，{reason}。"
    basis = f"根据{legal_basis}，本机关决定不予许可。"
    return [text, basis, _RIGHTS], rows


def issue_notice(
    case: Case,
    kind: str,
    *,
    reason: str = "",
    legal_basis: str = "",
    materials: list[tuple[str, str]] | None = None,
) -> Notice:
    """Write the notice of `kind` for the case as it stands now (call inside the action's
    transaction, after the case row is updated)."""
    today = timezone.localdate()
    department = case.department
    paragraphs, rows = _content(case, kind, reason, legal_basis)
    number = notice_number(department.short_name or department.code, _LETTER[kind], today)
    data = NoticeData(
        kind=kind,
        title=str(NoticeKind(kind).label),
        number=number,
        case_no=case.case_no,
        addressee=case.application.applicant_name,
        item_name=case.item_name,
        department_name=department.name,
        issued_on=today,
        paragraphs=paragraphs,
        rows=rows,
        materials=list(materials or []),
    )
    return Notice.objects.create(
        case=case, kind=kind, number=number, data=data.as_json(), issued_at=timezone.now()
    )


def notice_verify_url(number: str) -> str:
    """The public page that confirms a notice is genuine (printed under its QR code)."""
    return f"{settings.TONGBAN_PUBLIC_URL}/verify/notice/{quote(number, safe='')}"


def printable_notice(notice: Notice) -> NoticeData:
    """The notice's stored content with its verify address (notices issued before the QR
    code existed get it too: the address depends only on the number)."""
    return dataclasses.replace(
        NoticeData.from_json(notice.data), verify_url=notice_verify_url(notice.number)
    )


def notice_pdf_bytes(notice: Notice) -> bytes:
    """The notice as PDF. Its content never changes, so it is rendered once (laying out a
    CJK font subset costs about half a second) and then served from storage."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from .notice_pdf import render_notice_pdf

    # v2: with the verify QR code; PDFs cached before it are not served again.
    path = f"notices/v2/{notice.issued_at:%Y}/{notice.pk}.pdf"
    if default_storage.exists(path):
        with default_storage.open(path, "rb") as handle:
            return bytes(handle.read())
    pdf = render_notice_pdf(printable_notice(notice))
    default_storage.save(path, ContentFile(pdf))
    return pdf
