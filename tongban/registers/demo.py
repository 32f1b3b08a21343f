"""The demo's built-in register: 户籍, marriage and social insurance for the demo family
(李晓梅, the demo citizen, and 王建国), so the newborn and school journeys show data checks
that confirm from a register. Anyone else is unknown to it, as to a real register.

Idempotent: records are matched on (register, person) and updated in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from tongban.core.fieldcrypto import lookup_digest
from tongban.core.identifiers import make_resident_id, mask_identifier

from .models import RegisterRecord

POPULATION = "全国人口基础信息库"
MARRIAGE = "婚姻登记信息系统"
SOCIAL_INSURANCE = "湖南省社会保险信息系统"
ADDRESS = "湖南省岳阳市岳阳楼区金鹗中路1号"
SOURCE = "演示数据"


@dataclass(frozen=True)
class DemoPerson:
    name: str
    id_number: str
    facts: dict[str, dict[str, str]]  # register → facts


def demo_people() -> list[DemoPerson]:
    mother = make_resident_id("43060219920315402")
    father = make_resident_id("43060219900101001")
    married = {"结婚登记日期": "2020-05-20", "登记机关": "岳阳市岳阳楼区民政局"}
    return [
        DemoPerson(
            "李晓梅",
            mother,
            {
                POPULATION: {"户籍地址": ADDRESS, "户主姓名": "王建国", "与户主关系": "妻"},
                MARRIAGE: {"婚姻状况": "已婚", "配偶姓名": "王建国", **married},
                SOCIAL_INSURANCE: {
                    "参保状态": "正常参保",
                    "参保险种": "职工基本养老保险、职工基本医疗保险（含生育保险）",
                    "参保地": "岳阳市",
                    "累计缴费月数": "96",
                },
            },
        ),
        DemoPerson(
            "王建国",
            father,
            {
                POPULATION: {"户籍地址": ADDRESS, "户主姓名": "王建国", "与户主关系": "户主"},
                MARRIAGE: {"婚姻状况": "已婚", "配偶姓名": "李晓梅", **married},
                SOCIAL_INSURANCE: {
                    "参保状态": "正常参保",
                    "参保险种": "职工基本养老保险、职工基本医疗保险",
                    "参保地": "岳阳市",
                    "累计缴费月数": "120",
                },
            },
        ),
    ]


def load_demo_registers() -> int:
    """Create or update the demo records; returns how many were created."""
    created = 0
    for person in demo_people():
        for register, facts in person.facts.items():
            _, made = RegisterRecord.objects.update_or_create(
                register=register,
                subject_digest=lookup_digest(person.id_number),
                defaults={
                    "subject_masked": mask_identifier(person.id_number),
                    "subject_name": person.name,
                    "facts": facts,
                    "source": SOURCE,
                },
            )
            created += made
    return created
