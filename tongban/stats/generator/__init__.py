"""Synthetic cases for the statistics benchmark (issue 7): `manage.py stats_generate`.

world.py clones the demo city into its counties; volume.py says how much arrives when and
for what; lifecycle.py draws each case's path; people.py makes applicants; run.py drives the
day loop and writer.py writes the rows (COPY on PostgreSQL).
"""

from .run import Options, Summary, generate

__all__ = ["Options", "Summary", "generate"]
