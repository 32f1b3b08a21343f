"""The demo catalog and demo synonyms as a guide index, built without a database."""

from __future__ import annotations

from functools import cache

from tongban.catalog.catalog_file import parse_catalog_files
from tongban.catalog.demo import demo_catalog_files
from tongban.core.demo import DEPARTMENTS
from tongban.guide.demo import DEMO_SYNONYMS
from tongban.guide.documents import catalog_documents
from tongban.guide.index import GuideIndex, SynonymEntry, build_index
from tongban.guide.search import GuideAnswer, search_index

NEWBORN_ITEMS = {
    "12430600DE000019613000119001000",  # 出生医学证明首次签发
    "11430600DE000001403000101001000",  # 出生登记
}
SOCIAL_CARD_REPLACEMENT = "11430600DE0000049J3000104002000"  # 社会保障卡补领、换领


@cache
def demo_index() -> GuideIndex:
    catalog = parse_catalog_files(demo_catalog_files())
    docs = catalog_documents(
        {i.code: i for i in catalog.items},
        {b.code: b for b in catalog.bundles},
        {d.code: d.name for d in DEPARTMENTS},
    )
    synonyms = [SynonymEntry(p, tuple(t.split())) for p, t in sorted(DEMO_SYNONYMS.items())]
    return build_index(docs, synonyms, token="demo")


def ask(query: str, limit: int = 10) -> GuideAnswer:
    return search_index(demo_index(), query, limit)


def top(query: str, n: int = 3) -> list[str]:
    return [f"{r.kind}:{r.code}" for r in ask(query, n).results]
