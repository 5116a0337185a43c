"""Fixtures of the project-level tests."""
import os
import secrets
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def production_env(tmp_path):
    """The environment of a production process (run it as a subprocess), on its own SQLite."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECURE_SSL_REDIRECT", "DEBUG", "REDIS_URL"}}
    env.update(
        DJANGO_ENV="production",
        DJANGO_SETTINGS_MODULE="itam.settings",
        SECRET_KEY=secrets.token_urlsafe(60),
        JWT_SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="itam.example.com",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
    )
    return env
