from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_migrations_are_complete():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


@pytest.mark.django_db
def test_unknown_api_route_is_json_404(anon_api):
    response = anon_api.get("/no-such-route/here")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": 404, "message": "Not found.", "data": None}
    assert response["X-Request-ID"]
