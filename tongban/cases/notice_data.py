"""The content of a written notice (文书), independent of how it is laid out.

`notices.py` builds a NoticeData from a case; `notice_pdf.py` lays it out as a PDF. A notice's
content is frozen when it is issued (stored as JSON on the Notice row), so a PDF printed a
year later says exactly what the applicant was told.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class NoticeData:
    kind: str  # NoticeKind value: acceptance, supplement, refusal, approval, denial
    title: str  # 受理通知书, 一次性告知书 …
    number: str  # 文书编号, e.g. 岳阳市公安局受字〔2026〕第000123号
    case_no: str  # 办件编号
    addressee: str  # applicant's name (person or company), "：" is added by the layout
    item_name: str
    department_name: str  # the issuing department, printed above the date as the "seal"
    issued_on: datetime.date
    paragraphs: list[str]  # body text, one string per paragraph
    rows: list[tuple[str, str]] = field(default_factory=list)  # label/value table
    # For 一次性告知书: every missing or defective material with its reason.
    materials: list[tuple[str, str]] = field(default_factory=list)
    verify_url: str = ""  # printed (and, later, as a QR code) so the notice can be checked

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["issued_on"] = self.issued_on.isoformat()
        data["rows"] = [list(row) for row in self.rows]
        data["materials"] = [list(row) for row in self.materials]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NoticeData:
        values = dict(data)
        values["issued_on"] = datetime.date.fromisoformat(values["issued_on"])
        values["rows"] = [tuple(row) for row in values.get("rows", [])]
        values["materials"] = [tuple(row) for row in values.get("materials", [])]
        return cls(**values)
