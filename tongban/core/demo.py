"""Demo data: Hunan regions, Yueyang's departments and one account per role.

Loading is idempotent: rows are matched on natural keys and only written when a value
differs, and passwords are set only for new accounts, so a second run changes nothing.
The credit codes and identity numbers are made up but checksum-valid; none belongs to a
real organisation or person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from .calendar_actions import seed_calendar_from_chinesecalendar
from .identifiers import make_org_code, make_resident_id, make_uscc
from .models import Department, DepartmentKind, Region, Role, RoleAssignment, User

DEMO_PASSWORD = "Tongban@2026"

# GB/T 2260 codes (2023 edition) for the regions the seed reports talk about.
REGIONS: list[tuple[str, str]] = [
    ("430000", "湖南省"),
    ("430100", "长沙市"),
    ("430102", "芙蓉区"),
    ("430104", "岳麓区"),
    ("430500", "邵阳市"),
    ("430502", "双清区"),
    ("430600", "岳阳市"),
    ("430602", "岳阳楼区"),
    ("430603", "云溪区"),
    ("430611", "君山区"),
    ("430621", "岳阳县"),
    ("430623", "华容县"),
    ("430624", "湘阴县"),
    ("430626", "平江县"),
    ("430681", "汨罗市"),
    ("430682", "临湘市"),
    ("431100", "永州市"),
    ("431127", "蓝山县"),
    ("420000", "湖北省"),
    ("421000", "荆州市"),
    ("421002", "沙市区"),
]


@dataclass(frozen=True)
class DemoDepartment:
    code: str
    name: str
    short_name: str
    region: str
    kind: str
    uscc_kind: str  # first two USCC characters: 11 机关, 12 事业单位, 13 群众团体
    phone: str


YY = "430600"
DEPARTMENTS: list[DemoDepartment] = [
    DemoDepartment("yy-gongan", "岳阳市公安局", "公安", YY, DepartmentKind.GOVERNMENT, "11", "0730-12345"),
    DemoDepartment("yy-weijian", "岳阳市卫生健康委员会", "卫生健康", YY, DepartmentKind.GOVERNMENT, "11", "0730-12320"),
    DemoDepartment("yy-yibao", "岳阳市医疗保障局", "医疗保障", YY, DepartmentKind.GOVERNMENT, "11", "0730-12393"),
    DemoDepartment("yy-renshe", "岳阳市人力资源和社会保障局", "人力资源和社会保障", YY, DepartmentKind.GOVERNMENT, "11", "0730-12333"),
    DemoDepartment("yy-shichang", "岳阳市市场监督管理局", "市场监督管理", YY, DepartmentKind.GOVERNMENT, "11", "0730-12315"),
    DemoDepartment("yy-shuiwu", "国家税务总局岳阳市税务局", "税务", YY, DepartmentKind.VERTICAL, "11", "0730-12366"),
    DemoDepartment("yy-jiaoyu", "岳阳市教育局", "教育", YY, DepartmentKind.GOVERNMENT, "11", "0730-8880001"),
    DemoDepartment("yy-jiaotong", "岳阳市交通运输局", "交通运输", YY, DepartmentKind.GOVERNMENT, "11", "0730-12328"),
    DemoDepartment("yy-minzheng", "岳阳市民政局", "民政", YY, DepartmentKind.GOVERNMENT, "11", "0730-12349"),
    DemoDepartment("yy-canlian", "岳阳市残疾人联合会", "残联", YY, DepartmentKind.MASS_ORGANISATION, "13", "0730-8880002"),
    DemoDepartment("yy-zhujian", "岳阳市住房和城乡建设局", "住房和城乡建设", YY, DepartmentKind.GOVERNMENT, "11", "0730-8880003"),
    DemoDepartment("yy-budongchan", "岳阳市自然资源和规划局（不动产登记中心）", "不动产登记", YY, DepartmentKind.GOVERNMENT, "11", "0730-8880004"),
    DemoDepartment("yy-gongjijin", "岳阳市住房公积金管理中心", "住房公积金", YY, DepartmentKind.PUBLIC_INSTITUTION, "12", "0730-12329"),
    DemoDepartment("yy-tuiyijunren", "岳阳市退役军人事务局", "退役军人事务", YY, DepartmentKind.GOVERNMENT, "11", "0730-8880005"),
    DemoDepartment("yy-sifa", "岳阳市司法局（岳阳市公证处）", "司法/公证", YY, DepartmentKind.GOVERNMENT, "11", "0730-12348"),
    DemoDepartment("yy-shenpi", "岳阳市行政审批服务局", "行政审批", YY, DepartmentKind.APPROVAL_BUREAU, "11", "0730-8880006"),
    DemoDepartment("yy-zhengwu", "岳阳市政务服务中心", "政务服务中心", YY, DepartmentKind.SERVICE_CENTER, "12", "0730-12345"),
    DemoDepartment("ls-shenpi", "蓝山县行政审批服务局", "行政审批", "431127", DepartmentKind.APPROVAL_BUREAU, "11", "0746-2222001"),
    DemoDepartment("yy-fuyou", "岳阳市妇幼保健院", "妇幼保健院", YY, DepartmentKind.PUBLIC_INSTITUTION, "12", "0730-8880007"),
    DemoDepartment("yy-fagai", "岳阳市发展和改革委员会", "发展改革", YY, DepartmentKind.GOVERNMENT, "11", "0730-8880008"),
    DemoDepartment("yy-fayuan", "岳阳市中级人民法院", "中级法院", YY, DepartmentKind.GOVERNMENT, "11", "0730-8880009"),
    DemoDepartment("yy-xiaofang", "岳阳市消防救援支队", "消防救援", YY, DepartmentKind.VERTICAL, "11", "0730-8880010"),
    DemoDepartment("yy-chengguan", "岳阳市城市管理和综合执法局", "城市管理", YY, DepartmentKind.GOVERNMENT, "11", "0730-12319"),
    DemoDepartment("yy-binyi", "岳阳市殡仪馆", "殡仪馆", YY, DepartmentKind.PUBLIC_INSTITUTION, "12", "0730-8880011"),
    DemoDepartment("yy-gongshui", "岳阳市水务集团有限公司", "供水", YY, DepartmentKind.PUBLIC_UTILITY, "91", "0730-8880012"),
    DemoDepartment("yy-gongdian", "国网湖南省电力有限公司岳阳供电分公司", "供电", YY, DepartmentKind.PUBLIC_UTILITY, "91", "95598"),
    DemoDepartment("yy-ranqi", "岳阳燃气有限公司", "燃气", YY, DepartmentKind.PUBLIC_UTILITY, "91", "0730-8880013"),
    DemoDepartment("yy-tongxin", "中国电信股份有限公司岳阳分公司", "通信", YY, DepartmentKind.PUBLIC_UTILITY, "91", "10000"),
]  # fmt: skip


def demo_uscc(kind: str, region: str, serial: int) -> str:
    """A checksum-valid, obviously fictitious credit code: organisation code 'DEMO' + serial."""
    org_code = make_org_code(f"DE{serial:06d}")
    return make_uscc(f"{kind}{region}{org_code}")


def department_uscc(index: int, department: DemoDepartment) -> str:
    return demo_uscc(department.uscc_kind, department.region, index + 1)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    role: str
    department: str | None = None
    region: str | None = None
    id_number: str = ""
    uscc: str = ""
    phone: str = ""
    is_staff: bool = False


def demo_accounts() -> list[DemoAccount]:
    accounts = [
        DemoAccount(
            "citizen",
            "李晓梅",
            Role.CITIZEN,
            id_number=make_resident_id("43060219920315402"),
            phone="13807300001",
        ),
        DemoAccount(
            "company",
            "岳阳洞庭味道餐饮管理有限公司",
            Role.COMPANY,
            uscc=demo_uscc("91", YY, 900001),
            phone="13807300002",
        ),
        DemoAccount("clerk", "王芳", Role.CLERK, department="yy-zhengwu", region=YY),
        DemoAccount("catalog", "陈立", Role.CATALOG_ADMIN, region="430000", is_staff=True),
        DemoAccount("supervisor", "赵敏", Role.SUPERVISOR, region=YY),
        DemoAccount("hotline", "刘洋", Role.HOTLINE, region=YY),
        DemoAccount("sysadmin", "系统管理员", Role.SYSADMIN, is_staff=True),
    ]
    for department in DEPARTMENTS:
        accounts.append(
            DemoAccount(
                f"approver-{department.code}",
                f"{department.short_name}审批员",
                Role.APPROVER,
                department=department.code,
            )
        )
    return accounts


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    calendar_years: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.calendar_years)


def _sync(
    model: type[models.Model], report: LoadReport, lookup: dict[str, Any], values: dict[str, Any]
) -> Any:
    """get-or-create by `lookup`, then write only the fields whose value differs."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model._default_manager.create(**lookup, **values)
        report.created += 1
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
        report.updated += 1
    return obj


def _load_regions(report: LoadReport) -> dict[str, Region]:
    regions: dict[str, Region] = {}
    for code, name in REGIONS:
        parent = regions.get(code[:4] + "00") if code[4:] != "00" else None
        if parent is None and code[2:] != "0000":
            parent = regions.get(code[:2] + "0000")
        regions[code] = _sync(Region, report, {"code": code}, {"name": name, "parent": parent})
    return regions


def _load_departments(report: LoadReport, regions: dict[str, Region]) -> dict[str, Department]:
    departments: dict[str, Department] = {}
    for index, item in enumerate(DEPARTMENTS):
        departments[item.code] = _sync(
            Department,
            report,
            {"code": item.code},
            {
                "name": item.name,
                "short_name": item.short_name,
                "region": regions[item.region],
                "uscc": department_uscc(index, item),
                "kind": item.kind,
                "phone": item.phone,
                "is_active": True,
            },
        )
    return departments


def _load_accounts(
    report: LoadReport, regions: dict[str, Region], departments: dict[str, Department]
) -> None:
    for account in demo_accounts():
        user = User.objects.filter(username=account.username).first()
        values = {
            "full_name": account.full_name,
            "id_number": account.id_number,
            "uscc": account.uscc,
            "phone": account.phone,
            "is_staff": account.is_staff,
            "is_superuser": account.role == Role.SYSADMIN,
            "is_active": True,
        }
        if user is None:
            user = User(username=account.username, **values)
            user.set_password(DEMO_PASSWORD)
            user.save()
            report.created += 1
        else:
            user = _sync(User, report, {"username": account.username}, values)
        _sync(
            RoleAssignment,
            report,
            {
                "user": user,
                "role": account.role,
                "department": departments[account.department] if account.department else None,
                "region": regions[account.region] if account.region else None,
            },
            {},
        )


@transaction.atomic
def load_demo_data() -> LoadReport:
    report = LoadReport()
    regions = _load_regions(report)
    departments = _load_departments(report, regions)
    _load_accounts(report, regions, departments)
    report.calendar_years = len(seed_calendar_from_chinesecalendar())
    return report
