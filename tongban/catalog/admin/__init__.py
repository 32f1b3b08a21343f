"""Catalog administration in the Django admin (事项梳理): items, bundles, their versions,
publishing with lint results, and catalog import/export (YAML and Excel)."""

from . import bundles, items  # noqa: F401  (registers the admin pages)
