"""A short schemathesis run in the suite (`make fuzz` runs the long one, bench/fuzz.py).

Against the real app under gunicorn and the test database: every operation of /api/schema
with a few generated requests each, no 5xx, every response as documented and enveloped.
"""
import os

import pytest

from bench.fuzz import envelope_problems, run_schemathesis
from tests.factories import (
    ContainerFactory, DatacenterFactory, EnvironmentFactory, GPUAssignmentFactory, GPUFactory, PortMappingFactory,
    ServerFactory, ServiceFactory, UserFactory,
)
from tests.live import LiveServer, current_database_url

# A fixed seed keeps CI reproducible; ITAM_FUZZ_SEED explores others.
SEED = int(os.environ.get("ITAM_FUZZ_SEED", "20251101"))


@pytest.fixture
def fleet(admin_user):
    """A little of everything, so that ids 1, 2, ... the fuzzer favours often exist."""
    server = ServerFactory(datacenter=DatacenterFactory(), environment=EnvironmentFactory())
    container = ContainerFactory(server=server, owner=UserFactory())
    PortMappingFactory(container=container)
    ServiceFactory(container=container)
    held = GPUFactory(server=server, index=0, status="in_use", assigned_to=container.owner)
    GPUAssignmentFactory(gpu=held, user=container.owner, assigned_by=admin_user)
    GPUFactory(server=server, index=1)
    return server


@pytest.mark.django_db(transaction=True)
def test_short_fuzz_run_finds_nothing(admin_user, fleet):
    with LiveServer(current_database_url(), workers=2) as live:
        code, output, cases = run_schemathesis(live, admin_user.username, examples=2, phases="examples,fuzzing", seed=SEED)
        server_log = live.output()
    crash = server_log.find("Traceback")
    assert crash == -1, server_log[max(0, crash - 500) : crash + 4000]
    assert cases >= 100, output[-3000:]
    assert code == 0, output[-10000:]


@pytest.mark.parametrize(
    "status, body, problem",
    [
        (200, [], "the body is not a JSON object"),
        (200, {"code": 0, "message": "success"}, "missing key 'data'"),
        (404, {"code": 0, "message": "Not found.", "data": None}, "code is 0, expected 404"),
        (200, {"code": 0, "message": "", "data": None}, "message is not a non-empty string"),
        (400, {"code": 400, "message": "Validation failed.", "data": None, "errors": {"a": "x"}},
         "errors is not {name: [message, ...]} on an error response"),
        (200, {"code": 0, "message": "success", "data": [], "pagination": {"page": 1}},
         "pagination lacks page/page_size/total/pages"),
        (200, {"code": 0, "message": "success", "data": None, "detail": "x"}, "unexpected keys ['detail']"),
    ],
)
def test_envelope_check_catches_what_is_not_an_envelope(status, body, problem):
    assert problem in envelope_problems(status, body)


def test_envelope_check_accepts_envelopes():
    assert envelope_problems(200, {"code": 0, "message": "success", "data": {"id": 1}}) == []
    assert envelope_problems(200, {"code": 0, "message": "success", "data": [],
                                   "pagination": {"page": 1, "page_size": 20, "total": 0, "pages": 0}}) == []
    assert envelope_problems(422, {"code": 422, "message": "Name taken.", "data": None,
                                   "errors": {"name": ["Taken."]}}) == []
