"""Every asset the API docs page references is served, with DEBUG off (issue: the favicon
answered 404), in development without collectstatic and in production after it."""
import re
import subprocess
import sys

import pytest
from django.test import Client

from itam.tests.conftest import BASE_DIR

ASSET = re.compile(r'(?:href|src)="(/[^"]+)"')


def referenced_assets(html):
    assets = set(ASSET.findall(html))
    assert {a.rsplit(".", 1)[-1] for a in assets} >= {"png", "css", "js"}, assets
    return assets


@pytest.mark.django_db
def test_docs_assets_are_served_with_debug_off(settings):
    assert settings.DEBUG is False
    client = Client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    for url in referenced_assets(page.content.decode()):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content if response.streaming else [response.content]), url


PRODUCTION_PROBE = """
import json, re, django
django.setup()
from django.core.management import call_command
from django.test import Client
call_command("collectstatic", interactive=False, verbosity=0)
client = Client(HTTP_HOST="itam.example.com", HTTP_X_FORWARDED_PROTO="https")
page = client.get("/api/docs")
assets = sorted(set(re.findall(r'(?:href|src)="(/[^"]+)"', page.content.decode())))
print(json.dumps({"page": page.status_code, "assets": {url: client.get(url).status_code for url in assets}}))
"""


def test_docs_assets_are_served_in_production_after_collectstatic(production_env, tmp_path):
    import json

    env = {**production_env, "STATIC_ROOT": str(tmp_path / "static")}
    result = subprocess.run([sys.executable, "-c", PRODUCTION_PROBE], cwd=BASE_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["page"] == 200
    assert len(out["assets"]) >= 4 and any(url.endswith(".png") for url in out["assets"]), out
    assert set(out["assets"].values()) == {200}, out
