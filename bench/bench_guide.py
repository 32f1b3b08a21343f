"""Benchmark smart guidance (智能导办): index build and per-query latency, in process, on the
demo catalog plus generated items (5,000 in all by default).

Run: .venv/bin/python bench/bench_guide.py [--items 5000]
Pure: specs are built in memory (no database), as `build_index` is what a publication or a
process start pays for; the per-query figure is `search_index` over the evaluation queries.
A live `guide_search` adds one primary-key query (the freshness token) on top.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
os.environ.setdefault("TONGBAN_DEMO", "1")

import django

django.setup()

from tongban.catalog.catalog_file import parse_catalog_files  # noqa: E402
from tongban.catalog.demo import demo_catalog_files  # noqa: E402
from tongban.catalog.spec import ItemSpec  # noqa: E402
from tongban.core.demo import DEPARTMENTS  # noqa: E402
from tongban.guide.demo import DEMO_SYNONYMS  # noqa: E402
from tongban.guide.documents import catalog_documents  # noqa: E402
from tongban.guide.evaluation import load_cases  # noqa: E402
from tongban.guide.index import SynonymEntry, build_index  # noqa: E402
from tongban.guide.search import search_index  # noqa: E402
from tongban.guide.tokens import Segmenter  # noqa: E402

_WORDS = {
    "subjects": "个人 企业 单位 农村 城镇 残疾人 老年人 学生 外来务工人员 退役军人 个体工商户 社会组织",
    "things": "道路 桥梁 林木 采伐 河道 采砂 渔业 捕捞 兽药 种子 农药 肥料 饲料 危险化学品 烟花爆竹 "
    "建筑 施工 房屋 租赁 拆迁 户外广告 文物 出版物 印刷 网吧 演出 旅馆 游泳场所 医疗机构 "
    "药品 零售 诊所 护士 执业医师 律师 会计 导游 出租车 驾驶员 公交 校车 幼儿园 培训 养老机构",
    "actions": "许可 备案 登记 注销 变更 延续 补领 换领 核发 审批 认定 申领 查询 年检 确认",
    "materials": "申请书 身份证件 营业执照 场地证明 安全管理制度 平面图 承诺书 授权委托书 资质证书 合同 "
    "检验报告 照片 户口簿 结婚证 健康证明 毕业证书 租赁合同",
}
SUBJECTS, THINGS, ACTIONS, MATERIALS = (w.split() for w in _WORDS.values())


def generated_items(count: int, seed: int = 2026) -> list[ItemSpec]:
    rng = random.Random(seed)
    departments = [d.code for d in DEPARTMENTS]
    items = []
    for n in range(count):
        name = (
            f"{rng.choice(SUBJECTS)}{rng.choice(THINGS)}{rng.choice(THINGS)}{rng.choice(ACTIONS)}"
        )
        items.append(
            ItemSpec.model_validate(
                {
                    "code": f"GEN{n:06d}",
                    "basic_code": f"{n:012d}",
                    "department": rng.choice(departments),
                    "name": name,
                    "type": "行政许可",
                    "service_objects": ["自然人"],
                    "statutory_limit": {"days": 20},
                    "promised_limit": {"days": 5},
                    "case_kind": "承诺件",
                    "visits": 0,
                    "accept_conditions": f"申请{name}的{rng.choice(SUBJECTS)}应当具备相应条件。",
                    "result": {"type": "出证办结", "name": f"{name}决定书"},
                    "materials": [
                        {"key": f"m{k}", "name": f"{rng.choice(THINGS)}{m}"}
                        for k, m in enumerate(rng.sample(MATERIALS, 4))
                    ],
                }
            )
        )
    return items


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=5000, help="items in all (demo + generated)")
    parser.add_argument("--rounds", type=int, default=5, help="passes over the queries")
    args = parser.parse_args()
    catalog = parse_catalog_files(demo_catalog_files())
    items = {i.code: i for i in catalog.items}
    for item in generated_items(max(0, args.items - len(items))):
        items[item.code] = item
    bundles = {b.code: b for b in catalog.bundles}
    departments = {d.code: d.name for d in DEPARTMENTS}
    synonyms = [SynonymEntry(p, tuple(t.split())) for p, t in sorted(DEMO_SYNONYMS.items())]
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}")

    started = time.perf_counter()
    Segmenter([])  # jieba's base dictionary: once per process
    print(f"| jieba dictionary load (once per process) | {time.perf_counter() - started:.2f} s |")
    started = time.perf_counter()
    docs = catalog_documents(items, bundles, departments)
    index = build_index(docs, synonyms)
    build = time.perf_counter() - started
    print(f"| index build: {len(items)} items + {len(bundles)} bundles | {build:.2f} s |")

    queries = [c.query for c in load_cases()]
    search_index(index, queries[0])  # warm
    times = []
    for _ in range(args.rounds):
        for query in queries:
            started = time.perf_counter()
            search_index(index, query, 10)
            times.append((time.perf_counter() - started) * 1e3)
    print(f"| queries timed ({len(queries)} eval queries × {args.rounds}) | {len(times)} |")
    for label, value in (
        ("p50", statistics.median(times)),
        ("p95", percentile(times, 95)),
        ("p99", percentile(times, 99)),
        ("max", max(times)),
    ):
        print(f"| per query {label} | {value:.2f} ms |")


if __name__ == "__main__":
    main()
