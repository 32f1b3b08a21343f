"""Catalog permissions (the `rules` package; loaded by rules' autodiscovery).

Catalog administrators (事项梳理人员) maintain items, bundles and their versions; the system
administrator may too. Both reach the catalog pages of the Django admin through this
permission rather than Django's per-model permissions.
"""

from __future__ import annotations

import rules

from tongban.core.rules import is_catalog_admin, is_sysadmin

rules.add_perm("catalog.edit_catalog", is_catalog_admin | is_sysadmin)
