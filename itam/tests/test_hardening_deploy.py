"""Production configuration: check --deploy is clean, HTTPS is enforced, gunicorn reads its env."""
import json
import runpy
import subprocess
import sys

import pytest

from itam.tests.conftest import BASE_DIR


def test_check_deploy_is_clean(production_env):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=production_env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


PROBE = """
import json, django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("migrate", verbosity=0)
client = Client(HTTP_HOST="itam.example.com")
out = {}
for name, path, extra in [
    ("plain_api", "/api/servers", {}),
    ("plain_admin", "/admin/", {}),
    ("plain_health", "/api/health", {}),
    ("proxied_https", "/api/health", {"HTTP_X_FORWARDED_PROTO": "https"}),
]:
    r = client.get(path, **extra)
    out[name] = {"status": r.status_code, "location": r.get("Location"), "hsts": r.get("Strict-Transport-Security"),
                 "nosniff": r.get("X-Content-Type-Options"), "frame": r.get("X-Frame-Options")}
r = Client(HTTP_HOST="evil.example.net").get("/api/health", HTTP_X_FORWARDED_PROTO="https")
out["other_host"] = {"status": r.status_code}
print(json.dumps(out))
"""


def test_production_enforces_https_except_health_probes(production_env):
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=BASE_DIR, env=production_env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["plain_api"]["status"] == 301
    assert out["plain_api"]["location"] == "https://itam.example.com/api/servers"
    assert out["plain_admin"]["location"] == "https://itam.example.com/admin/"
    # Load balancers probe over plain HTTP.
    assert out["plain_health"]["status"] == 200
    https = out["proxied_https"]
    assert https["status"] == 200
    assert https["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert https["nosniff"] == "nosniff" and https["frame"] == "DENY"
    assert out["other_host"]["status"] == 400  # ALLOWED_HOSTS


def gunicorn_settings(monkeypatch, **env):
    for name in ("GUNICORN_BIND", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_CONTROL_SOCKET", "GUNICORN_PRELOAD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))


def test_gunicorn_defaults(monkeypatch):
    conf = gunicorn_settings(monkeypatch)
    assert conf["bind"] == ["127.0.0.1:8000"]
    assert 3 <= conf["workers"] <= 9
    assert conf["preload_app"] is True
    assert conf["control_socket_disable"] is True
    assert "rid=%({x-request-id}o)s" in conf["access_log_format"]
    assert "pid=%(p)s" in conf["access_log_format"]


def test_gunicorn_reads_the_environment(monkeypatch):
    conf = gunicorn_settings(
        monkeypatch, GUNICORN_BIND="10.0.0.11:8000,unix:/run/itam.sock", WEB_CONCURRENCY="3",
        GUNICORN_THREADS="4", GUNICORN_PRELOAD="false", GUNICORN_CONTROL_SOCKET="/run/itam/ctl.sock",
    )
    assert conf["bind"] == ["10.0.0.11:8000", "unix:/run/itam.sock"]
    assert (conf["workers"], conf["threads"], conf["preload_app"]) == (3, 4, False)
    assert conf["control_socket_disable"] is False and conf["control_socket"] == "/run/itam/ctl.sock"
