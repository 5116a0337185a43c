"""Schema-driven fuzzing of the whole API: `make fuzz` (FUZZ_ARGS="--examples 50" for more).

Builds a scratch database (migrations, init_db, a small demo fleet), starts the app under
gunicorn, and runs schemathesis against /api/schema with an administrator's token. Every
response must be free of 5xx, have a documented status code, content type and headers,
match its documented schema, and be the ITAM envelope (API.md §1.3-§1.4). It exits
non-zero on any failure or when fewer than --min-cases test cases ran.

The same module is the schemathesis hooks file (SCHEMATHESIS_HOOKS=bench.fuzz): the
envelope check and an auth provider that mints a fresh admin token whenever the API says
401 (the fuzzer may well log its own token out).

    python bench/fuzz.py [--examples N] [--database-url URL] [--seed N]
"""
import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Run as a script, bench/ comes first on the path, and bench/import_export.py would then
# shadow the django-import-export app: the project root takes its place.
if Path(sys.path[0]).resolve() == BASE_DIR / "bench":
    sys.path[0] = str(BASE_DIR)

import schemathesis  # noqa: E402

# The checks that make up the goal: no 5xx, and every response as documented.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "envelope_conformance",
)
ADMIN_ENV = "ITAM_FUZZ_ADMIN"  # username of the administrator the fuzzer acts as


# --- schemathesis hooks ----------------------------------------------------------------------


def envelope_problems(status, body):
    """What is wrong with a JSON body as an ITAM envelope (API.md §1.3-§1.4); [] if nothing."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    problems = [f"missing key {key!r}" for key in ("code", "message", "data") if key not in body]
    expected_code = 0 if status < 400 else status
    if body.get("code") != expected_code:
        problems.append(f"code is {body.get('code')!r}, expected {expected_code}")
    if not isinstance(body.get("message"), str) or not body.get("message"):
        problems.append("message is not a non-empty string")
    if "errors" in body:
        errors = body["errors"]
        if status < 400 or not isinstance(errors, dict) or not all(
            isinstance(v, list) and all(isinstance(m, str) for m in v) for v in errors.values()
        ):
            problems.append("errors is not {name: [message, ...]} on an error response")
    if "pagination" in body and set(body["pagination"] or {}) != {"page", "page_size", "total", "pages"}:
        problems.append("pagination lacks page/page_size/total/pages")
    extra = set(body) - {"code", "message", "data", "errors", "pagination"}
    if extra:
        problems.append(f"unexpected keys {sorted(extra)}")
    return problems


@schemathesis.check
def envelope_conformance(ctx, response, case):
    if not (response.headers.get("content-type") or [""])[0].startswith("application/json"):
        return None
    problems = envelope_problems(response.status_code, response.json())
    if problems:
        raise AssertionError("Not the ITAM envelope: " + "; ".join(problems))
    return None


@schemathesis.auth()
class AdminToken:
    """A freshly minted access token of the fuzzing administrator, kept an active admin."""

    def get(self, case, ctx):
        import django

        django.setup()
        from accounts.authentication import AccessToken
        from accounts.models import User

        username = os.environ[ADMIN_ENV]
        # Fuzzed requests may demote or deactivate this account; put it back (no audit needed).
        User.objects.filter(username=username).update(is_active=True, role="admin", is_staff=True, is_superuser=True)
        return str(AccessToken.for_user(User.objects.get(username=username)))

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


# --- running it ---------------------------------------------------------------------------------


def run_schemathesis(live, admin_username, examples, phases="examples,coverage,fuzzing", seed=None, extra=()):
    """Fuzz a running LiveServer; -> (exit code, output, test cases generated)."""
    from tests.live import running_django_env

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "itam.settings",
        "DJANGO_ENV": running_django_env(),
        "DATABASE_URL": live.db_url,
        "SCHEMATHESIS_HOOKS": "bench.fuzz",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BASE_DIR), os.environ.get("PYTHONPATH")])),
        ADMIN_ENV: admin_username,
        "NO_COLOR": "1",
    }
    command = [
        str(Path(sys.executable).parent / "schemathesis"), "run", live.url("/api/schema/"),
        "--checks", ",".join(CHECKS),
        "--phases", phases,
        "--max-examples", str(examples),
        "--workers", "2",
        "--request-timeout", "30",
        "--suppress-health-check", "too_slow",
        "--no-color",
        *(["--seed", str(seed)] if seed is not None else []),
        *extra,
    ]
    result = subprocess.run(command, cwd=BASE_DIR, env=env, capture_output=True, text=True)
    output = result.stdout + result.stderr
    match = re.search(r"(\d+) generated", output)
    return result.returncode, output, int(match.group(1)) if match else 0


def prepare_database(database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_ENV": "development"}
    manage = [sys.executable, str(BASE_DIR / "manage.py")]
    for args in (["migrate", "--noinput", "-v0"], ["createcachetable"], ["init_db"],
                 ["seed_demo", "--if-empty", "--servers", "12", "--seed", "7"]):
        subprocess.run([*manage, *args], cwd=BASE_DIR, env=env, check=True, stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=25, help="examples per operation and phase (default 25)")
    parser.add_argument("--min-cases", type=int, default=1000, help="fail when fewer test cases ran (default 1000)")
    parser.add_argument("--database-url", help="a scratch database (default: a fresh SQLite file in var/)")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()

    os.environ["DJANGO_ENV"] = "development"
    from tests.live import LiveServer

    database_url = args.database_url
    if not database_url:
        path = BASE_DIR / "var" / "fuzz.sqlite3"
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
        database_url = f"sqlite:///{path}"
    print(f"Preparing {database_url} ...", flush=True)
    prepare_database(database_url)
    with LiveServer(database_url, workers=2, env={"DJANGO_ENV": "development", "DEBUG": "false"}) as live:
        print(f"Fuzzing {live.url('/api/schema/')} with {args.examples} examples per operation ...", flush=True)
        code, output, cases = run_schemathesis(live, "admin", args.examples, seed=args.seed)
        server_log = live.output()
    print(output)
    if "Traceback" in server_log:
        print("--- server errors ---\n" + server_log[-5000:])
    print(f"Generated test cases (one request each): {cases}")
    if cases < args.min_cases:
        print(f"FAIL: fewer than {args.min_cases} test cases; raise --examples")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
