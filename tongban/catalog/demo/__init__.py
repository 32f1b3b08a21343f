"""The demo catalog: sample data modelled on public information (see each file's note)."""

from __future__ import annotations

from pathlib import Path

from ..actions import ImportReport, catalog_import
from ..catalog_file import parse_catalog_files

DEMO_DIR = Path(__file__).resolve().parent


def demo_catalog_files() -> list[str]:
    return sorted(str(path) for path in DEMO_DIR.glob("*.yaml"))


def load_demo_catalog() -> ImportReport:
    """Import (and publish) the demo catalog; unchanged items and bundles are left alone,
    so loading twice writes nothing the second time."""
    return catalog_import(parse_catalog_files(demo_catalog_files()), actor=None)
