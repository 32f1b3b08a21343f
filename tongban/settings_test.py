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
