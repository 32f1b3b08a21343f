"""Demo licence types for the licence keys the demo catalog names.

The type codes follow the national shape (an issuing ministry's credit code + 3 digits,
GB/T 36904) but are DEMO codes with valid check characters, not the codes the ministries
registered: a deployment loads its province's real list instead (admin → 证照类型).
"""

from __future__ import annotations

from tongban.core.identifiers import make_uscc

from .models import HolderKind, LicenceType

P, ORG = HolderKind.PERSON, HolderKind.ORGANISATION
_NAME = ("applicant.name", "姓名")

# key, name, holder kind, validity in years (None: 长期), face fields (source, label)
DEMO_TYPES: list[tuple[str, str, str, int | None, list[tuple[str, str]]]] = [
    (
        "birth_medical_certificate",
        "出生医学证明",
        P,
        None,
        [
            ("child.name", "新生儿姓名"),
            ("child.gender", "性别"),
            ("child.birth_date", "出生日期"),
            ("child.birth_weight_g", "出生体重（克）"),
            ("mother.name", "母亲姓名"),
            ("father.name", "父亲姓名"),
            ("case.case_no", "签发办件编号"),
        ],
    ),
    (
        "vaccination_certificate",
        "预防接种证",
        P,
        None,
        [
            ("child.name", "儿童姓名"),
            ("child.birth_date", "出生日期"),
            ("vaccination.clinic", "接种单位"),
        ],
    ),
    (
        "hukou_booklet",
        "居民户口簿",
        P,
        None,
        [
            ("child.name", "登记人姓名"),
            ("child.gender", "性别"),
            ("child.birth_date", "出生日期"),
            ("applicant.relation", "申报人与登记人关系"),
            ("new_name", "变更后姓名"),
            ("applicant.address", "住址"),
        ],
    ),
    (
        "social_security_card",
        "社会保障卡",
        P,
        10,
        [
            _NAME,
            ("child.name", "未成年持卡人姓名"),
            ("social_card.bank", "承办银行"),
            ("new_name", "变更后姓名"),
        ],
    ),
    ("residence_permit", "居住证", P, 1, [_NAME, ("applicant.address", "居住地址")]),
    (
        "disability_certificate",
        "中华人民共和国残疾人证",
        P,
        10,
        [_NAME, ("guardian.name", "监护人")],
    ),
    ("veteran_preferential_card", "退役军人优待证", P, None, [_NAME]),
    (
        "death_medical_certificate",
        "居民死亡医学证明（推断）书",
        P,
        None,
        [
            ("deceased.name", "死者姓名"),
            ("deceased.death_date", "死亡日期"),
            ("deceased.death_place", "死亡地点"),
        ],
    ),
    (
        "cremation_certificate",
        "火化证明",
        P,
        None,
        [("deceased.name", "逝者姓名"), ("deceased.death_date", "死亡日期")],
    ),
    (
        "hukou_cancellation_certificate",
        "注销户口证明",
        P,
        None,
        [
            ("deceased.name", "被注销人姓名"),
            ("deceased.death_date", "死亡日期"),
        ],
    ),
    (
        "notarial_certificate",
        "公证书",
        P,
        None,
        [("deceased.name", "被继承人"), ("property.certificate_no", "涉及不动产权证书号")],
    ),
    ("real_estate_certificate", "不动产权证书", P, None, [_NAME, ("property.address", "坐落")]),
    (
        "tax_payment_certificate",
        "完税证明",
        P,
        None,
        [_NAME, ("property.address", "不动产坐落"), ("deal.price", "计税价格（元）")],
    ),
    (
        "teacher_certificate",
        "教师资格证书",
        P,
        None,
        [_NAME, ("teacher.level", "资格种类"), ("teacher.subject", "任教学科")],
    ),
    ("resident_id_card", "居民身份证（换领受理凭证）", P, 20, [_NAME]),
    (
        "driving_licence",
        "机动车驾驶证",
        P,
        6,
        [("new_name", "姓名"), ("driving_licence.file_no", "档案编号")],
    ),
    ("dibao_certificate", "最低生活保障证", P, 1, [_NAME, ("household.size", "保障人口")]),
    ("tekun_certificate", "特困人员救助供养证", P, 1, [_NAME]),
    (
        "business_licence",
        "营业执照",
        ORG,
        None,
        [
            ("enterprise.name", "名称"),
            ("enterprise.type", "类型"),
            ("legal_rep.name", "法定代表人"),
            ("enterprise.registered_capital", "注册资本（万元）"),
            ("enterprise.address", "住所"),
            ("enterprise.business_scope", "经营范围"),
            ("change.new_name", "变更后名称"),
        ],
    ),
    (
        "seal_record",
        "印章备案证明",
        ORG,
        None,
        [("enterprise.name", "单位名称"), ("seal.kinds", "印章种类")],
    ),
    (
        "food_business_licence",
        "食品经营许可证",
        ORG,
        5,
        [
            ("enterprise.name", "经营者名称"),
            ("legal_rep.name", "法定代表人（负责人）"),
            ("premises.address", "经营场所"),
            ("food.manager_name", "食品安全管理人员"),
        ],
    ),
    (
        "prepackaged_food_filing",
        "仅销售预包装食品经营者备案信息采集表",
        ORG,
        None,
        [
            ("enterprise.name", "经营者名称"),
            ("premises.address", "经营场所"),
        ],
    ),
    (
        "fire_safety_inspection",
        "公众聚集场所投入使用、营业前消防安全检查合格证",
        ORG,
        None,
        [
            ("enterprise.name", "场所使用单位"),
            ("premises.address", "场所地址"),
            ("fire.capacity", "核定容纳人数"),
        ],
    ),
    (
        "drainage_permit",
        "城镇污水排入排水管网许可证",
        ORG,
        5,
        [
            ("enterprise.name", "排水户名称"),
            ("premises.address", "排水地址"),
            ("drainage.daily_m3", "排水量（立方米/日）"),
        ],
    ),
    (
        "road_transport_permit",
        "道路运输经营许可证",
        ORG,
        4,
        [
            ("enterprise.name", "经营者名称"),
            ("enterprise.address", "地址"),
            ("transport.passenger_kind", "经营范围"),
        ],
    ),
    (
        "vehicle_transport_certificate",
        "道路运输证",
        ORG,
        6,
        [("enterprise.name", "业户名称"), ("vehicle.plate_numbers", "车辆号牌")],
    ),
    ("marriage_certificate", "结婚证", P, None, [_NAME]),
]


def demo_type_code(index: int) -> str:
    """A demo ministry credit code (valid check character) + a 3-digit type number."""
    return make_uscc(f"1110000000000{index:04d}") + f"{index % 1000:03d}"


def load_demo_licence_types() -> int:
    """Create or update the demo types; the number created."""
    created = 0
    for index, (key, name, kind, years, fields) in enumerate(DEMO_TYPES, start=1):
        _, was_created = LicenceType.objects.update_or_create(
            key=key,
            defaults={
                "code": demo_type_code(index),
                "name": name,
                "holder_kind": kind,
                "validity_years": years,
                "fields": [
                    {"key": f"f{i}", "label": label, "source": source}
                    for i, (source, label) in enumerate(fields, start=1)
                ],
                "note": "演示数据：证照类型代码为示例，非主管部门登记代码",
            },
        )
        created += was_created
    return created
