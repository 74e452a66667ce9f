"""Fixtures of the indicator-family tests.

The builders live in ``fam_helpers`` (a uniquely named module: test modules
import helpers from it, never from ``conftest``, whose name other test folders
share).
"""

from fam_helpers import demo, demo_dir, demo_ds, small_ds  # noqa: F401  (fixtures)
