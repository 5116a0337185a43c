"""Contract walk-through (API.md §1.2, §5, §8, §9): odd but legal client input on the
domain routes (tree, search, batch, assign, sort order, preferences, refresh), each answered
with the envelope and the documented status, never a 500."""
import pytest

from inventory.models import GPU
from tests.factories import ContainerFactory, GPUFactory, ServerFactory, UserFactory


def assert_400(response, *keys):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == 400 and body["data"] is None
    if keys:
        assert set(body["errors"]) == set(keys), body
    return body


@pytest.mark.parametrize("path", [
    "/servers/batch-update", "/servers/batch-delete", "/containers/update-sort-order",
    "/gpus/update-sort-order", "/gpus/1/assign", "/gpus/1/release", "/auth/login", "/auth/change-password",
    "/user/preferences", "/users", "/servers",
])
@pytest.mark.parametrize("raw", ["[]", "null", '"x"', "{bad"])
def test_domain_routes_refuse_non_object_bodies(admin_api, path, raw):
    GPUFactory(pk=1, index=0)
    method = admin_api.client.put if path == "/user/preferences" else admin_api.client.post
    response = method("/api" + path, raw, content_type="application/json")
    assert_400(response)


def test_patch_means_put(admin_api):
    server = ServerFactory(name="web-01")
    response = admin_api.patch(f"/servers/{server.pk}", {"status": "maintenance"})
    assert response.status_code == 200 and response.json()["message"] == "Server updated."
    assert response.json()["data"]["status"] == "maintenance" and response.json()["data"]["name"] == "web-01"


def test_assign_rules(admin_api, other_user):
    gpu = GPUFactory(index=0)
    assert_400(admin_api.post(f"/gpus/{gpu.pk}/assign", {}), "user_id")
    assert_400(admin_api.post(f"/gpus/{gpu.pk}/assign", {"user_id": "abc"}), "user_id")
    assert admin_api.post(f"/gpus/{gpu.pk}/assign", {"user_id": 99999999}).status_code == 404
    inactive = UserFactory(is_active=False)
    response = admin_api.post(f"/gpus/{gpu.pk}/assign", {"user_id": inactive.pk})
    assert response.status_code == 422 and "errors" not in response.json()
    assert_400(admin_api.post(f"/gpus/{gpu.pk}/assign", {"user_id": other_user.pk, "expires_at": "2000-01-01T00:00:00Z"}),
               "expires_at")
    assert admin_api.post(f"/gpus/{gpu.pk}/assign", {"user_id": str(other_user.pk), "purpose": ""}).status_code == 200
    again = admin_api.post(f"/gpus/{gpu.pk}/assign", {"user_id": other_user.pk})
    assert again.status_code == 422 and again.json()["code"] == 422
    changed = admin_api.put(f"/gpus/{gpu.pk}", {"status": "free"})
    assert changed.status_code == 422
    assert admin_api.put(f"/gpus/{gpu.pk}", {"status": "in_use"}).status_code == 200
    assert admin_api.post(f"/gpus/{gpu.pk}/release", {"reason": None}).json()["data"]["is_available"] is True
    assert admin_api.get(f"/gpus/{gpu.pk}/assignments").json()["data"][0]["release_reason"] == "manual"
    assert admin_api.post(f"/gpus/{gpu.pk}/release").status_code == 422


def test_search_limits_and_aliases(user_api):
    ServerFactory(name="web-01", internal_ip="10.0.0.7")
    ServerFactory(name="web-02", internal_ip="10.0.0.8")
    empty = user_api.get("/search").json()["data"]
    assert empty == {"servers": [], "containers": [], "services": [], "port_mappings": [], "gpus": [],
                     "search_type": "keyword", "total": 0}
    assert user_api.get("/search", {"keyword": "web", "limit": "x"}).json()["data"]["total"] == 2
    assert user_api.get("/search", {"keyword": "web", "limit": 0}).json()["data"]["total"] == 1
    assert user_api.get("/search", {"keyword": "web", "q": "nothing"}).json()["data"]["total"] == 2
    assert user_api.get("/search", {"keyword": "10."}).json()["data"]["search_type"] == "ip"
    assert user_api.get("/search", {"keyword": "fe80::"}).json()["data"]["search_type"] == "ip"
    assert user_api.get("/search", {"keyword": "80"}).json()["data"]["search_type"] == "ip"
    assert user_api.get("/search", {"keyword": "8080"}).json()["data"]["search_type"] == "port"
    assert user_api.get("/search", {"keyword": "65536"}).json()["data"]["search_type"] == "keyword"
    assert user_api.get("/search/quick", {"q": " w "}).json()["data"] == []
    assert len(user_api.get("/search/quick", {"keyword": "web", "limit": 50}).json()["data"]) == 2
    assert len(user_api.get("/search/quick", {"keyword": "web", "limit": 1}).json()["data"]) == 1


def test_utilization_parameters(user_api):
    assert user_api.get("/gpus/utilization", {"start_date": "2025-01-01"}).status_code == 200
    assert_400(user_api.get("/gpus/utilization", {"start_date": "2025-02-01", "end_date": "2025-01-01"}))
    assert_400(user_api.get("/gpus/utilization", {"group_by": "team"}), "group_by")
    assert_400(user_api.get("/gpus/utilization", {"start_date": "01/02/2025"}), "start_date")
    assert user_api.get("/gpus/utilization", {"group_by": "", "datacenter_id": ""}).status_code == 200


def test_batch_rules(admin_api):
    server = ServerFactory()
    ContainerFactory(server=server)
    assert_400(admin_api.post("/servers/batch-update", {"ids": [], "updates": {"status": "offline"}}), "ids")
    assert_400(admin_api.post("/servers/batch-update", {"ids": [server.pk], "updates": {"name": "x"}}))
    assert_400(admin_api.post("/servers/batch-update", {"ids": list(range(1, 502)), "updates": {"status": "offline"}}), "ids")
    deleted = admin_api.post("/servers/batch-delete", {"ids": [server.pk, server.pk]}).json()
    assert deleted["message"] == "Batch delete finished: 0 of 1 succeeded."
    assert deleted["data"] == {"success": [], "failed": [{"id": server.pk, "reason": "Server has 1 container; delete it first."}],
                               "total": 1, "success_count": 0, "failed_count": 1}


def test_sort_order_rules(admin_api):
    gpu = GPUFactory(index=0)
    assert_400(admin_api.post("/gpus/update-sort-order", {"items": []}), "items")
    assert_400(admin_api.post("/gpus/update-sort-order", {"items": [{"id": gpu.pk, "sort_order": -1}]}), "items.0.sort_order")
    assert_400(admin_api.post("/gpus/update-sort-order", {"items": [{"sort_order": 1}]}), "items.0.id")
    skipped = admin_api.post("/gpus/update-sort-order", {"items": [{"id": 99999999, "sort_order": 1},
                                                                    {"id": gpu.pk, "sort_order": "0"}]})
    assert skipped.json()["data"] == {"updated": 0} and GPU.objects.get().sort_order == 0


def test_preferences_validation(user_api):
    assert_400(user_api.put("/user/preferences", {"panel_width": 100}), "panel_width")
    assert_400(user_api.put("/user/preferences", {"grouping_mode": "tree", "view_mode": "list"}), "grouping_mode")
    assert user_api.get("/user/preferences").json()["data"]["view_mode"] == "grid"
    saved = user_api.put("/user/preferences", {"show_detail_bar": False, "unknown": 1, "updated_at": "x"})
    assert saved.status_code == 200 and saved.json()["data"]["show_detail_bar"] is False


def test_refresh_accepts_header_body_and_alias(anon_api, normal_user):
    tokens = anon_api.post("/auth/login", {"username": "alice", "password": "Secret-pass-123"}).json()["data"]
    refreshed = anon_api.post("/auth/refresh", {"refresh": tokens["refresh_token"]}).json()
    assert refreshed["message"] == "Token refreshed."
    rotated = refreshed["data"]
    assert set(rotated) == {"access_token", "refresh_token"}
    assert anon_api.post("/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status_code == 401
    assert anon_api.post("/auth/refresh", {"refresh_token": tokens["access_token"]}).status_code == 401
    anon_api.client.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated['refresh_token']}")
    assert anon_api.post("/auth/refresh", {"refresh_token": "garbage"}).status_code == 200


def test_health_and_docs(anon_api):
    assert anon_api.get("/health").json() == {"code": 0, "message": "success", "data": {"status": "ok", "database": "ok"}}
    assert anon_api.get("/schema").json()["openapi"].startswith("3.")
    assert "openapi:" in anon_api.get("/schema", {"format": "yaml"}).content.decode()
    assert anon_api.get("/docs")["Content-Type"].startswith("text/html")


def test_user_update_keeps_password_when_blank_or_null(admin_api, anon_api, normal_user):
    for blank in ("", None):  # passwords are not trimmed: "   " is a (too short) password
        response = admin_api.put(f"/users/{normal_user.pk}", {"password": blank, "display_name": "Alice"})
        assert response.status_code == 200, response.content
    assert anon_api.post("/auth/login", {"username": "alice", "password": "Secret-pass-123"}).status_code == 200


def test_name_alphabets(admin_api):
    dc = admin_api.post("/datacenters", {"name": "Zürich-1"})
    assert dc.status_code == 201 and dc.json()["data"]["name"] == "Zürich-1"
    server = admin_api.post("/servers", {"name": "wéb", "datacenter_id": dc.json()["data"]["id"],
                                         "environment_id": 1, "internal_ip": "10.0.0.1"})
    assert_400(server, "name", "environment_id")


@pytest.mark.parametrize("method, path", [("get", "/"), ("get", ""), ("post", "/nothing/here"), ("delete", "/servers")])
def test_errors_carry_a_request_id_too(anon_api, method, path):
    """Also the bare base path `/api`: a JSON 404, no redirect to `/api/`."""
    response = getattr(anon_api, method)(path, HTTP_X_REQUEST_ID="req-1")
    assert response.status_code in (401, 404) and response["X-Request-ID"] == "req-1"
    assert response.json()["code"] == response.status_code


def test_form_bodies_leave_absent_booleans_at_their_default(admin_api):
    """A session client may post a form: a key it leaves out is absent, not an unchecked box."""
    created = admin_api.client.post("/api/datacenters", {"name": "DC-Form"})
    assert created.status_code == 201 and created.json()["data"]["is_active"] is True
    dc_id = created.json()["data"]["id"]
    assert admin_api.client.put(f"/api/datacenters/{dc_id}", "location=Hall+2",
                                content_type="application/x-www-form-urlencoded").json()["data"]["is_active"] is True
    turned_off = admin_api.client.put(f"/api/datacenters/{dc_id}", "is_active=FALSE",
                                      content_type="application/x-www-form-urlencoded")
    assert turned_off.json()["data"]["is_active"] is False


def test_bodyless_posts_as_clients_send_them(admin_api, other_user):
    """`POST /gpus/{id}/release` and `POST /auth/logout` arrive without a body or Content-Type."""
    gpu = GPUFactory(index=0)
    admin_api.post(f"/gpus/{gpu.pk}/assign", {"user_id": other_user.pk})
    released = admin_api.client.generic("POST", f"/api/gpus/{gpu.pk}/release")
    assert released.status_code == 200 and released.json()["data"]["status"] == "free"
    empty_json = admin_api.client.generic("POST", f"/api/gpus/{gpu.pk}/release", "", content_type="application/json")
    assert empty_json.status_code == 422  # already free: the empty JSON body itself is fine
    logged_out = admin_api.client.generic("POST", "/api/auth/logout")
    assert logged_out.json() == {"code": 0, "message": "Logged out.", "data": None}
