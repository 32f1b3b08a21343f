"""Synthetic applicants and how their materials were provided.

Encrypting an ID number (Fernet) costs tens of microseconds, too much for millions of
applications, so a pool of applicants is made once per run and drawn from — people do come
back. Every ID number is checksum-valid and obviously fictitious: persons are born in the
county they apply in with serials from 900 up, companies carry the organisation code
prefix "TB" (Tongban bench).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass

from tongban.core.fieldcrypto import encrypt_text, lookup_digest
from tongban.core.identifiers import make_org_code, make_resident_id, make_uscc, mask_identifier

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马胡朱郭何罗高林郑梁谢唐许冯宋韩邓彭曹曾田萧潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力兰斌宇浩凯鹏飞鑫波宁琳颖欣怡子涵梓轩雨晨思佳俊博"
COMPANY_WORDS = ["洞庭", "巴陵", "岳州", "君山", "南湖", "湘北", "汨水", "平江", "临湘", "华容"]
COMPANY_TRADES = [
    "餐饮管理",
    "商贸",
    "物流",
    "科技",
    "建材",
    "农业发展",
    "文化传媒",
    "汽车服务",
    "食品",
    "家政服务",
]


@dataclass(frozen=True)
class Applicant:
    kind: str  # "person" | "company"
    name: str
    id_token: str  # encrypted
    digest: str
    masked: str
    phone_token: str
    form_token: str


def _person(rng: random.Random, region: str, serial: int) -> tuple[str, str]:
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    birth = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    return name, make_resident_id(f"{region}{birth}{900 + serial % 100:03d}")


def _company(rng: random.Random, region: str, serial: int) -> tuple[str, str]:
    name = f"岳阳{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_TRADES)}有限公司"
    org = make_org_code(f"TB{serial:06d}")
    return name, make_uscc(f"91{region}{org}")


def applicant_pool(rng: random.Random, region: str, company: bool, size: int) -> list[Applicant]:
    pool = []
    for serial in range(size):
        name, number = (_company if company else _person)(rng, region, serial)
        phone = f"139{rng.randint(0, 99999999):08d}"
        form = {"applicant.name": name, "applicant.phone": phone}
        pool.append(
            Applicant(
                kind="company" if company else "person",
                name=name,
                id_token=encrypt_text(number),
                digest=lookup_digest(number),
                masked=mask_identifier(number),
                phone_token=encrypt_text(phone),
                form_token=encrypt_text(json.dumps(form, ensure_ascii=False, sort_keys=True)),
            )
        )
    return pool


def provisions(rng: random.Random, count: int, window: bool, progress: float) -> str:
    """The `provisions` of a submission: how each material was provided (JSON text).

    At a window most materials are paper, online they are uploaded; 免提交 by e-licence and
    data check, and 告知承诺, replace more of them as the reform goes on (progress 0 → 1).
    """
    p_licence = 0.10 + 0.15 * progress
    p_data = 0.05 + 0.10 * progress
    p_commit = 0.03 + 0.03 * progress
    p_deferred = 0.01
    counts: Counter[str] = Counter()
    for _ in range(count):
        u = rng.random()
        if u < p_licence:
            counts["licence"] += 1
        elif u < p_licence + p_data:
            counts["data_check"] += 1
        elif u < p_licence + p_data + p_commit:
            counts["commitment"] += 1
        elif u < p_licence + p_data + p_commit + p_deferred:
            counts["deferred"] += 1
        else:
            counts["paper" if window else "upload"] += 1
    return json.dumps(dict(sorted(counts.items())), ensure_ascii=False)


class ProvisionPool:
    """Pre-drawn `provisions` texts per (window, bundle, quarter of the period)."""

    def __init__(self, rng: random.Random, size: int = 500) -> None:
        self.rng = rng
        self.pools: dict[tuple[bool, bool, int], list[tuple[str, int]]] = {}
        for window in (False, True):
            for bundle in (False, True):
                for quarter in range(4):
                    rows = []
                    for _ in range(size):
                        n = rng.randint(8, 12) if bundle else rng.randint(2, 5)
                        rows.append((provisions(rng, n, window, (quarter + 0.5) / 4), n))
                    self.pools[(window, bundle, quarter)] = rows

    def draw(self, window: bool, bundle: bool, progress: float) -> str:
        rows = self.pools[(window, bundle, min(3, int(progress * 4)))]
        return rows[int(self.rng.random() * len(rows))][0]
