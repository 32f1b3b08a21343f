"""Test settings: the real settings, plus speed-ups that do not change behaviour under test."""

import os

os.environ.setdefault("TONGBAN_DEMO", "1")

from tongban.settings import *  # noqa: F403
from tongban.settings import STORAGES

# Hashing with PBKDF2's full iteration count costs ~0.3 s a login; tests log in a lot.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests render templates without running collectstatic first.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True

# Fixed personal-data keys, so tests never write key files (and results are repeatable).
TONGBAN_FIELD_KEYS = "qZ3pYd1pQ3d0k9mI7rJ8bq8b2m8aY8oJ0N2y8lq0cV4="
TONGBAN_LOOKUP_KEY = "tongban-test-lookup-key"

# Uploaded test files go to a scratch directory, never into the checkout's var/.
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

STORAGE_DIR = MEDIA_ROOT = Path(tempfile.gettempdir()) / "tongban-test-storage"
# Licence-signing keys: made on first use, outside the checkout.
TONGBAN_LICENCE_KEY_DIR = str(Path(tempfile.gettempdir()) / "tongban-test-licence-keys")

# A file, not the in-memory default: concurrency tests need writers that wait for each other
# (shared-cache memory databases fail at once with "table is locked"). pytest-xdist workers
# get their own file (pytest-django appends the worker id).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    VAR_DIR.mkdir(exist_ok=True)  # noqa: F405
    # TONGBAN_TEST_SQLITE lets two test runs in one checkout use separate files.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.environ.get("TONGBAN_TEST_SQLITE", str(VAR_DIR / "test.sqlite3"))  # noqa: F405
    }
