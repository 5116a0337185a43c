"""/users (API.md §3.2): admin CRUD, the directory form for role user, options, 422 rules."""
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import services
from accounts.models import User
from accounts.tests.test_auth_api import user_object
from audit.models import AuditLog
from itam.errors import Conflict
from tests.factories import AdminFactory, ContainerFactory, GPUAssignmentFactory, GPUFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_USER = {"username": "dave", "password": "Long-enough-pass-1", "display_name": "Dave", "email": "dave@example.com"}


def ids(response):
    return [item["id"] for item in response.json()["data"]]


@pytest.fixture
def people(admin_user, normal_user, other_user):
    """admin, alice, bob (newest last) and an inactive carol, with distinct creation times."""
    carol = UserFactory(username="carol", display_name="Carol", is_active=False)
    base = timezone.now() - timedelta(days=1)
    for offset, user in enumerate([admin_user, normal_user, other_user, carol]):
        User.objects.filter(pk=user.pk).update(created_at=base + timedelta(minutes=offset))
    return admin_user, normal_user, other_user, carol


# --- list -----------------------------------------------------------------------------------

def test_admin_list_is_paginated_full_objects_newest_first(admin_api, people, django_assert_num_queries):
    admin, alice, bob, carol = people
    with django_assert_num_queries(3):  # token user and blacklist, count, page
        response = admin_api.get("/users", {"page_size": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"page": 1, "page_size": 3, "total": 4, "pages": 2}
    carol.refresh_from_db()
    assert body["data"][0] == user_object(carol)
    assert ids(response) == [carol.pk, bob.pk, alice.pk]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"role": "admin"}, ["admin"]),
        ({"is_active": "false"}, ["carol"]),
        ({"is_active": "TRUE", "role": "user"}, ["bob", "alice"]),
        ({"keyword": "BOB@EXAMPLE"}, ["bob"]),
        ({"keyword": "aro"}, ["carol"]),
        ({"role": "", "is_active": "", "keyword": ""}, ["carol", "bob", "alice", "admin"]),
        ({"ordering": "username"}, ["admin", "alice", "bob", "carol"]),
        ({"ordering": "-role,username"}, ["alice", "bob", "carol", "admin"]),
        ({"ordering": "display_name"}, ["admin", "alice", "bob", "carol"]),
    ],
)
def test_admin_list_filters_and_ordering(admin_api, people, params, expected):
    response = admin_api.get("/users", params)
    assert response.status_code == 200
    assert [u["username"] for u in response.json()["data"]] == expected


@pytest.mark.parametrize(
    "params, key",
    [({"role": "root"}, "role"), ({"is_active": "maybe"}, "is_active"), ({"ordering": "password"}, "ordering")],
)
def test_admin_list_rejects_bad_parameters(admin_api, people, params, key):
    response = admin_api.get("/users", params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400 and body["data"] is None and list(body["errors"]) == [key]


def test_user_gets_the_directory_of_active_users(user_api, people, django_assert_num_queries):
    admin, alice, bob, carol = people
    with django_assert_num_queries(3):  # authentication, count, page
        response = user_api.get("/users", {"page_size": 100})
    assert response.status_code == 200
    assert response.json()["data"] == [
        {"id": bob.pk, "username": "bob", "display_name": "Bob"},
        {"id": alice.pk, "username": "alice", "display_name": "Alice"},
        {"id": admin.pk, "username": "admin", "display_name": "Administrator"},
    ]
    assert response.json()["pagination"] == {"page": 1, "page_size": 100, "total": 3, "pages": 1}


def test_directory_ignores_role_status_and_email_matching(user_api, people):
    assert len(ids(user_api.get("/users", {"role": "admin", "is_active": "false"}))) == 3
    assert ids(user_api.get("/users", {"keyword": "example.com"})) == []
    assert ids(user_api.get("/users", {"keyword": "ALI"})) == [people[1].pk]
    assert ids(user_api.get("/users", {"ordering": "role"})) == [people[2].pk, people[1].pk, people[0].pk]
    assert ids(user_api.get("/users", {"ordering": "username"})) == [people[0].pk, people[1].pk, people[2].pk]


def test_options_lists_active_users_by_display_name(user_api, people, django_assert_num_queries):
    admin, alice, bob, carol = people
    User.objects.filter(pk=bob.pk).update(display_name="Aaron")
    with django_assert_num_queries(2):  # authentication, users
        response = user_api.get("/users/options/", {"page": "2", "role": "admin"})
    assert response.status_code == 200
    assert response.json() == {
        "code": 0,
        "message": "success",
        "data": [
            {"id": bob.pk, "username": "bob", "display_name": "Aaron"},
            {"id": admin.pk, "username": "admin", "display_name": "Administrator"},
            {"id": alice.pk, "username": "alice", "display_name": "Alice"},
        ],
    }


# --- detail and create ------------------------------------------------------------------------

def test_admin_gets_one_user(admin_api, normal_user):
    response = admin_api.get(f"/users/{normal_user.pk}")
    assert response.json() == {"code": 0, "message": "success", "data": user_object(normal_user)}


@pytest.mark.parametrize("path", ["/users/999999", "/users/abc", "/users/-1"])
def test_unknown_or_non_numeric_user_is_404(admin_api, path):
    response = admin_api.get(path)
    assert (response.status_code, response.json()["code"]) == (404, 404)


def test_create_user(admin_api, login):
    response = admin_api.post("/users", {**NEW_USER, "id": 77, "created_at": "2000-01-01T00:00:00Z", "junk": 1})
    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(username="dave")
    assert body == {"code": 0, "message": "User created.", "data": user_object(user)}
    assert body["data"]["role"] == "user" and body["data"]["is_active"] is True and body["data"]["id"] != 77
    assert login("dave", "Long-enough-pass-1").status_code == 200


def test_create_trims_and_blank_email_is_null(admin_api):
    response = admin_api.post("/users", {**NEW_USER, "username": " dave ", "display_name": "  Dave  ", "email": "  ", "role": "admin"})
    assert response.status_code == 201
    data = response.json()["data"]
    assert (data["username"], data["display_name"], data["email"], data["role"]) == ("dave", "Dave", None, "admin")
    assert User.objects.get(username="dave").is_staff  # admins may use the Django admin


@pytest.mark.parametrize(
    "changes, errors",
    [
        ({"password": None}, {"password": ["This field may not be null."]}),
        ({"password": ""}, {"password": ["This field may not be blank."]}),
        ({"username": "davidson", "password": "davidson1"}, {"password": ["The password is too similar to the username."]}),
        ({"password": "Dave@example.com1"}, {"password": ["The password is too similar to the email."]}),
        ({"password": "12345678"}, {"password": ["This password is too common.", "This password is entirely numeric."]}),
        ({"username": "1dave"}, {"username": ["Username must be 3-64 characters: a letter first, then letters, digits or _."]}),
        ({"username": "da"}, {"username": ["Username must be 3-64 characters: a letter first, then letters, digits or _."]}),
        ({"display_name": ""}, {"display_name": ["This field may not be blank."]}),
        ({"display_name": "x" * 65}, {"display_name": ["Ensure this field has no more than 64 characters."]}),
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
        ({"role": "root"}, {"role": ['"root" is not a valid choice.']}),
        ({"is_active": "yes"}, {"is_active": ["Must be a boolean (true or false)."]}),
    ],
)
def test_create_validation(admin_api, admin_user, changes, errors):
    response = admin_api.post("/users", {**NEW_USER, **changes})
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Validation failed.", "data": None, "errors": errors}
    assert not User.objects.filter(username="dave").exists()


def test_create_requires_the_required_fields(admin_api):
    response = admin_api.post("/users", {})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"username", "display_name", "password"}


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"username": "ALICE"}, "username", "A user with this username already exists."),
        ({"email": "Alice@Example.com"}, "email", "A user with this e-mail already exists."),
    ],
)
def test_duplicates_are_422_case_insensitively(admin_api, normal_user, changes, field, message):
    response = admin_api.post("/users", {**NEW_USER, **changes})
    assert response.status_code == 422
    assert response.json() == {"code": 422, "message": message, "data": None, "errors": {field: [message]}}


# --- update ---------------------------------------------------------------------------------

def test_update_is_partial_and_ignores_username_and_read_only_keys(admin_api, normal_user, login):
    payload = {**user_object(normal_user), "username": "renamed", "display_name": "Alice Liddell", "email": ""}
    response = admin_api.put(f"/users/{normal_user.pk}", payload)
    assert response.status_code == 200
    normal_user.refresh_from_db()
    assert response.json() == {"code": 0, "message": "User updated.", "data": user_object(normal_user)}
    assert (normal_user.username, normal_user.display_name, normal_user.email) == ("alice", "Alice Liddell", None)
    assert login("alice").status_code == 200  # password unchanged
    assert admin_api.patch(f"/users/{normal_user.pk}", {"role": "admin"}).json()["data"]["role"] == "admin"


def test_update_validates_a_new_password_against_the_saved_user(admin_api, normal_user):
    response = admin_api.put(f"/users/{normal_user.pk}", {"password": "alice123"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"password": ["The password is too similar to the username.", "This password is too common."]}


def test_update_email_duplicate_is_422(admin_api, normal_user, other_user):
    response = admin_api.put(f"/users/{other_user.pk}", {"email": "ALICE@example.com"})
    assert response.status_code == 422
    assert response.json()["errors"] == {"email": ["A user with this e-mail already exists."]}


@pytest.mark.parametrize("changes", [{"role": "user"}, {"is_active": False}])
def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(admin_api, admin_user, changes):
    AdminFactory(username="retired", is_active=False)
    response = admin_api.put(f"/users/{admin_user.pk}", changes)
    assert response.status_code == 422
    assert response.json() == {"code": 422, "message": "At least one active administrator must remain.", "data": None}
    admin_user.refresh_from_db()
    assert admin_user.role == "admin" and admin_user.is_active


def test_an_admin_can_be_demoted_while_another_remains(admin_api, admin_user):
    other = AdminFactory(username="second")
    assert admin_api.put(f"/users/{other.pk}", {"role": "user"}).status_code == 200
    assert admin_api.put(f"/users/{admin_user.pk}", {"is_active": True, "role": "admin"}).status_code == 200


# --- delete ---------------------------------------------------------------------------------

def test_delete_user_clears_references(admin_api, admin_user, normal_user, other_user):
    container = ContainerFactory(owner=other_user, assigned_user=normal_user)
    assignment = GPUAssignmentFactory(user=normal_user, gpu=GPUFactory(server=container.server),
                                      assigned_at=timezone.now() - timedelta(hours=1),
                                      released_at=timezone.now())  # history: a holder cannot be deleted
    AuditLog.objects.filter(user__isnull=True).delete()
    log = AuditLog.objects.create(user=normal_user, username="alice", action="update", resource_type="server", resource_id=1)
    response = admin_api.delete(f"/users/{normal_user.pk}")
    assert (response.status_code, response.json()) == (200, {"code": 0, "message": "User deleted.", "data": None})
    assert not User.objects.filter(pk=normal_user.pk).exists()
    container.refresh_from_db()
    assignment.refresh_from_db()
    log.refresh_from_db()
    assert container.assigned_user_id is None
    assert (assignment.user_id, assignment.user_name) == (None, "Alice")
    assert (log.user_id, log.username) == (None, "alice")
    # The container's change is on record like any other: history and an audit entry by the admin.
    assert container.history.first().assigned_user_id is None
    entry = AuditLog.objects.get(resource_type="container", resource_id=container.pk, action="update")
    assert (entry.user_id, entry.changes["assigned_user_id"]) == (admin_user.pk, {"old": normal_user.pk, "new": None})


def test_a_user_deleted_outside_the_api_leaves_the_containers_change_on_record(normal_user, other_user):
    container = ContainerFactory(owner=other_user, assigned_user=normal_user)
    user_id = normal_user.pk
    normal_user.delete()  # as the admin's delete pages and scripts do
    assert [h.assigned_user_id for h in container.history.order_by("history_id")] == [user_id, None]


def test_deleting_yourself_is_422(admin_api, admin_user):
    AdminFactory(username="second")
    response = admin_api.delete(f"/users/{admin_user.pk}")
    assert (response.status_code, response.json()["message"]) == (422, "You cannot delete your own account.")


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda u: ContainerFactory(owner=u), "User still owns or holds 1 container; reassign them or deactivate the user instead."),
        (
            lambda u: ServiceFactory(container=ContainerFactory(owner=u)),
            "User still owns or holds 1 container, 1 service; reassign them or deactivate the user instead.",
        ),
        (lambda u: GPUFactory(assigned_to=u, status="in_use"), "User still owns or holds 1 GPU; reassign them or deactivate the user instead."),
    ],
)
def test_deleting_a_user_who_holds_assets_is_422(admin_api, normal_user, make, message):
    make(normal_user)
    response = admin_api.delete(f"/users/{normal_user.pk}")
    assert (response.status_code, response.json()) == (422, {"code": 422, "message": message, "data": None})
    assert User.objects.filter(pk=normal_user.pk).exists()


def test_the_last_active_admin_cannot_be_deleted(admin_user, normal_user):
    with pytest.raises(Conflict, match="At least one active administrator must remain."):
        services.delete_user(admin_user, actor=normal_user)
