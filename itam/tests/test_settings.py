"""Settings come from the environment: production refuses to start without real keys and is
clean under `check --deploy`. Each case starts a fresh process, as a deployment would."""
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
SECRET_KEY = secrets.token_urlsafe(60)
JWT_SECRET_KEY = secrets.token_urlsafe(60)
PRODUCTION = {
    "DJANGO_ENV": "production", "SECRET_KEY": SECRET_KEY, "JWT_SECRET_KEY": JWT_SECRET_KEY,
    "ALLOWED_HOSTS": "itam.example.com", "SECURE_SSL_REDIRECT": "true",
}


def manage(*args, **env):
    """Run manage.py with only ``env`` (plus PATH) in the environment."""
    import os

    clean_env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", ""), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=clean_env, capture_output=True, text=True, timeout=120,
    )


def setting(expression, **env):
    result = manage("shell", "--no-imports", "-c", f"from django.conf import settings; print({expression})", **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY must be set to a long random value in production."),
        ({"JWT_SECRET_KEY": None}, "JWT_SECRET_KEY must be set to a long random value in production."),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be set to a long random value in production."),
        ({"JWT_SECRET_KEY": SECRET_KEY}, "JWT_SECRET_KEY must differ from SECRET_KEY."),
    ],
    ids=["no-secret-key", "no-jwt-key", "short-secret-key", "same-keys"],
)
def test_production_refuses_to_start_without_real_keys(env, message):
    production = {key: value for key, value in {**PRODUCTION, **env}.items() if value is not None}
    result = manage("check", **production)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {message}" in result.stderr


def test_production_passes_the_security_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", "--tag", "security", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_check_deploy_is_clean():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings():
    values = setting(
        "[settings.DEBUG, settings.SECURE_SSL_REDIRECT, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.SECURE_HSTS_SECONDS, settings.ALLOWED_HOSTS, settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD]",
        **PRODUCTION,
    )
    assert values == "[False, True, True, True, 31536000, ['itam.example.com'], '', '']"


def test_unknown_environment_is_refused():
    result = manage("check", DJANGO_ENV="staging")
    assert result.returncode != 0
    assert "DJANGO_ENV must be development, production or testing, not 'staging'" in result.stderr


def test_development_defaults():
    values = setting(
        "settings.DEBUG, settings.DATABASES['default']['ENGINE'], settings.ADMIN_USERNAME, settings.ADMIN_PASSWORD",
        DJANGO_ENV="development",
    )
    assert values == "True django.db.backends.sqlite3 admin admin123"


def test_cache_is_the_database_without_redis_url():
    backend = "settings.CACHES['default']['BACKEND'], settings.CACHES['default']['LOCATION']"
    assert setting(backend, DJANGO_ENV="development") == "django.core.cache.backends.db.DatabaseCache itam_cache"
    assert setting(backend, DJANGO_ENV="development", REDIS_URL="redis://127.0.0.1:6379/0") == (
        "django.core.cache.backends.redis.RedisCache redis://127.0.0.1:6379/0"
    )


def test_database_and_token_lifetimes_from_the_environment():
    values = setting(
        "settings.DATABASES['default']['ENGINE'], settings.DATABASES['default']['NAME'], "
        "settings.SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'], settings.SIMPLE_JWT['REFRESH_TOKEN_LIFETIME']",
        DJANGO_ENV="development", DATABASE_URL="postgres://postgres@127.0.0.1:5432/itam_example",
        ACCESS_TOKEN_LIFETIME_MINUTES="15", REFRESH_TOKEN_LIFETIME_DAYS="2",
    )
    assert values == "django.db.backends.postgresql itam_example 0:15:00 2 days, 0:00:00"
