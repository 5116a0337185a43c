"""page / page_size (API.md §1.5), through GET /services."""
import pytest

from tests.factories import ContainerFactory, ServiceFactory


@pytest.fixture
def services(db):
    container = ContainerFactory()
    return ServiceFactory.create_batch(5, container=container)


def page(api, **params):
    response = api.get("/services", {"ordering": "id", **params})
    assert response.status_code == 200
    body = response.json()
    return body["pagination"], [s["id"] for s in body["data"]]


def test_defaults(user_api, services):
    assert page(user_api) == ({"page": 1, "page_size": 20, "total": 5, "pages": 1}, [s.pk for s in services])


def test_pages_split_and_never_overlap(user_api, services):
    ids = [s.pk for s in services]
    assert page(user_api, page_size=2) == ({"page": 1, "page_size": 2, "total": 5, "pages": 3}, ids[:2])
    assert page(user_api, page_size=2, page=2)[1] == ids[2:4]
    assert page(user_api, page_size=2, page=3)[1] == ids[4:]


def test_page_past_the_end_is_empty_with_true_totals(user_api, services):
    assert page(user_api, page=9, page_size=2) == ({"page": 9, "page_size": 2, "total": 5, "pages": 3}, [])


@pytest.mark.parametrize("params, expected_page, expected_size", [
    ({"page": "0"}, 1, 20),
    ({"page": "-3"}, 1, 20),
    ({"page": "abc", "page_size": "x"}, 1, 20),
    ({"page": "1.5", "page_size": ""}, 1, 20),
    ({"page_size": "0"}, 1, 1),
    ({"page_size": "-10"}, 1, 1),
    ({"page_size": "1000"}, 1, 100),
    ({"page_size": " 3 "}, 1, 3),
])
def test_junk_and_out_of_range_values_fall_back_or_clamp(user_api, services, params, expected_page, expected_size):
    pagination, _ = page(user_api, **params)
    assert (pagination["page"], pagination["page_size"]) == (expected_page, expected_size)


def test_empty_list_has_zero_pages(user_api, db):
    assert page(user_api) == ({"page": 1, "page_size": 20, "total": 0, "pages": 0}, [])


def test_filters_apply_before_counting(user_api, services):
    pagination, ids = page(user_api, keyword=services[0].name)
    assert (pagination["total"], pagination["pages"], ids) == (1, 1, [services[0].pk])
