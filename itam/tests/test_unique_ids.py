"""No list, tree or search answer of the API holds two objects of the same type with the
same id (a client keys its rows by id: a join that repeats a row would break it).

The endpoints are discovered from the OpenAPI schema, so a new list is checked without
being named here; the fleet has every to-many relation several times over (containers with
several port mappings and services, GPUs with several assignments, audit entries).
"""
import re
from collections import defaultdict

import pytest
from django.core.management import call_command

from inventory.models import GPU, GPUAssignment, Server

pytestmark = pytest.mark.django_db

# Parameters that make a list join its to-many relations (keywords match children too).
FILTERS = [{}, {"keyword": "10."}, {"keyword": "nginx"}, {"keyword": "a"}, {"include_stats": "true"}]
TREE_LEVELS = ["1", "2", "3"]


@pytest.fixture
def fleet(admin_user):
    call_command("seed_demo", datacenters=2, servers=6, containers_per_server=3, services_per_container=2,
                 gpus_per_server=2, seed=7, verbosity=0)
    assert GPUAssignment.objects.filter(released_at__isnull=False).exists()
    return Server.objects.count()


# Required parameters get a valid value: the window of /gpus/availability (a wide one).
REQUIRED = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}


def required_params(operation):
    return {p["name"]: REQUIRED[p["name"]] for p in operation.get("parameters", []) if p.get("required")
            and p["in"] == "query"}


def list_paths(api):
    """Every GET path of the schema that answers with JSON (no downloads), ids filled in;
    with each its required query parameters."""
    schema = api.get("/schema", {"format": "json"}).json()
    gpu = GPU.objects.filter(assignments__isnull=False).first()
    paths = []
    for path, operations in schema["paths"].items():
        if "get" not in operations or path.rstrip("/").endswith(("/export", "/template", "/schema", "/docs", "/health")):
            continue
        if re.search(r"\{(?!id\})", path) or ("{id}" in path and not path.rstrip("/").endswith("/assignments")):
            continue  # details are single objects
        paths.append(path.removeprefix("/api").rstrip("/").replace("{id}", str(gpu.pk)))
        REQUIRED_BY_PATH[paths[-1]] = required_params(operations["get"])
    return paths


REQUIRED_BY_PATH = {}


def collect(value, where, seen):
    """Group every object with an ``id`` by its type (``_type``, else where it stands)."""
    if isinstance(value, list):
        for item in value:
            collect(item, where, seen)
    elif isinstance(value, dict):
        if "id" in value:
            seen[value.get("_type", where)].append(value["id"])
        for key, child in value.items():
            if isinstance(child, (list, dict)):
                collect(child, f"{where}.{key}", seen)


def every_page(api, path, params):
    params = {**REQUIRED_BY_PATH.get(path, {}), **params}
    first = api.get(path, {**params, "page_size": 100})
    assert first.status_code == 200, (path, params, first.content[:300])
    body = first.json()
    pages = [body]
    if "pagination" in body:
        for page in range(2, body["pagination"]["pages"] + 1):
            pages.append(api.get(path, {**params, "page_size": 100, "page": page}).json())
    return pages


def test_no_answer_repeats_an_object_of_one_type(admin_api, fleet):
    paths = list_paths(admin_api)
    assert {"/servers", "/containers", "/services", "/gpus", "/users", "/audit-logs", "/search", "/servers/tree"} <= set(paths)
    checked = 0
    for path in paths:
        variants = [{**f, "expand_level": level} for f in FILTERS for level in TREE_LEVELS] if path == "/servers/tree" else FILTERS
        for params in variants:
            seen = defaultdict(list)
            pages = every_page(admin_api, path, params)
            for body in pages:
                collect(body["data"], "data", seen)
            for kind, ids in seen.items():
                duplicates = sorted({i for i in ids if ids.count(i) > 1})
                assert not duplicates, f"{path} {params}: {kind} ids {duplicates} repeated"
                checked += len(ids)
            if "pagination" in pages[0]:
                assert len(seen["data"]) == pages[0]["pagination"]["total"], (path, params)
    assert checked > 1000  # the fleet really was walked


def test_the_tree_at_level_3_holds_each_child_once(admin_api, fleet):
    tree = admin_api.get("/servers/tree", {"expand_level": "3"}).json()["data"]
    assert len(tree) == fleet
    seen = defaultdict(list)
    collect(tree, "data", seen)
    assert {"container", "gpu", "service", "_resource_card"} <= set(seen)
    for kind, ids in seen.items():
        assert len(ids) == len(set(ids)), kind
