"""Admin tests in a real headless Chromium (Debian's package) driven by Playwright.

One browser for the whole package; each test gets a fresh context (cookies, storage) and leaves a
screenshot under var/screenshots/<test>.png, pass or fail. Without Chromium the tests are
skipped and the run says so in its summary, unless ITAM_REQUIRE_BROWSER=1 (CI), which
turns a missing browser into a failure.
"""
import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("ITAM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
TIMEOUT_MS = 15_000
PASSWORD = "Secret-pass-123"  # tests.factories.UserFactory's password

_skip_reason = []


def chromium_path():
    if os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium")


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def pytest_terminal_summary(terminalreporter):
    if _skip_reason:
        terminalreporter.write_line(f"Browser tests SKIPPED: {_skip_reason[0]}", yellow=True, bold=True)


@pytest.fixture(scope="package")
def browser():
    path = chromium_path()
    if path is None:
        reason = f"Chromium not found at {CHROMIUM} or on PATH (install it with `make browser`)."
        if os.environ.get("ITAM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason} ITAM_REQUIRE_BROWSER=1: the browser tests must run.", pytrace=False)
        _skip_reason.append(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # While the browser is up, Playwright's sync API keeps an event loop running in this
    # thread, so Django would refuse the tests' ORM calls, though they are plain synchronous
    # code. Package scope: both end with the last browser test, so no later test (nor a
    # subprocess it starts) runs with the loop or with async safety off.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "step")`` -> var/screenshots/<test>[-step].png"""

    def save(page, step=""):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name + (f"-{step}" if step else ""))
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return save


@pytest.fixture
def page(browser, live_server, screenshot):
    """A fresh browser page pointed at the live server; screenshot saved on teardown."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    try:
        screenshot(page)
    finally:
        context.close()


@pytest.fixture
def ops_admin(transactional_db):
    from tests.factories import AdminFactory

    return AdminFactory(username="ops", display_name="Ops Admin")


@pytest.fixture
def admin_page(page, ops_admin, live_server):
    """A page signed in as an admin through a session cookie (the login form has its own test)."""
    from django.test import Client

    client = Client()
    client.force_login(ops_admin)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
          "url": live_server.url}]
    )
    return page
