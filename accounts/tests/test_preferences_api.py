"""GET/PUT /user/preferences (API.md §9.1)."""
import pytest

from accounts.models import UserPreference

pytestmark = pytest.mark.django_db

DEFAULTS = {"grouping_mode": "environment-first", "view_mode": "grid", "panel_width": 260, "show_detail_bar": True, "updated_at": None}


def test_defaults_until_something_is_saved(user_api, django_assert_num_queries):
    with django_assert_num_queries(2):  # authentication, preferences
        response = user_api.get("/user/preferences")
    assert response.json() == {"code": 0, "message": "success", "data": DEFAULTS}
    assert not UserPreference.objects.exists()


def test_put_creates_then_changes_only_the_given_keys(user_api, normal_user):
    first = user_api.put("/user/preferences", {"view_mode": "list", "updated_at": "2000-01-01T00:00:00Z", "junk": 1})
    assert first.status_code == 200
    saved = UserPreference.objects.get(user=normal_user)
    expected = {**DEFAULTS, "view_mode": "list", "updated_at": saved.updated_at.replace(microsecond=0).isoformat()}
    assert first.json() == {"code": 0, "message": "Preferences saved.", "data": expected}
    assert expected["updated_at"].endswith("+00:00")

    second = user_api.put("/user/preferences", {"grouping_mode": " flat ", "show_detail_bar": False})
    assert second.json()["data"] | {"updated_at": None} == {
        **DEFAULTS, "view_mode": "list", "grouping_mode": "flat", "show_detail_bar": False,
    }
    assert user_api.get("/user/preferences").json()["data"] == second.json()["data"]
    assert user_api.patch("/user/preferences", {"panel_width": 300}).json()["data"]["panel_width"] == 300


@pytest.mark.parametrize("given, stored", [(259.5, 260), (259.49, 259), ("300.5", 301), ("  200 ", 200), (160, 160), (799.5, 800)])
def test_panel_width_rounds_half_up(user_api, given, stored):
    response = user_api.put("/user/preferences", {"panel_width": given})
    assert response.status_code == 200
    assert response.json()["data"]["panel_width"] == stored


@pytest.mark.parametrize(
    "body, errors",
    [
        ({"panel_width": 159.4}, {"panel_width": ["Ensure this value is greater than or equal to 160."]}),
        ({"panel_width": 800.5}, {"panel_width": ["Ensure this value is less than or equal to 800."]}),
        ({"panel_width": "1e999999"}, {"panel_width": ["Ensure this value is less than or equal to 800."]}),
        ({"panel_width": "NaN"}, {"panel_width": ["A valid integer is required."]}),
        ({"panel_width": True}, {"panel_width": ["A valid integer is required."]}),
        ({"panel_width": "wide"}, {"panel_width": ["A valid integer is required."]}),
        ({"panel_width": [300]}, {"panel_width": ["A valid integer is required."]}),
        ({"view_mode": "table"}, {"view_mode": ['"table" is not a valid choice.']}),
        ({"grouping_mode": None}, {"grouping_mode": ["This field may not be null."]}),
        ({"show_detail_bar": "yes"}, {"show_detail_bar": ["Must be a boolean (true or false)."]}),
    ],
)
def test_invalid_values_are_400_and_nothing_is_saved(user_api, normal_user, body, errors):
    response = user_api.put("/user/preferences", {"view_mode": "list", **body})
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "Validation failed.", "data": None, "errors": errors}
    assert not UserPreference.objects.filter(user=normal_user).exists()


def test_a_body_that_is_not_an_object_is_400(user_api):
    response = user_api.put("/user/preferences", ["view_mode", "list"])
    assert response.status_code == 400
    assert response.json()["code"] == 400


def test_each_user_has_their_own_preferences(user_api, api_as, other_user):
    user_api.put("/user/preferences", {"view_mode": "list"})
    assert api_as(other_user).get("/user/preferences").json()["data"] == DEFAULTS


def test_a_form_encoded_body_may_spell_booleans_as_text(user_api):
    response = user_api.client.put(
        "/api/user/preferences", "show_detail_bar=false&panel_width=300.5", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["show_detail_bar"], data["panel_width"]) == (False, 301)
