"""Layers point one way (issue 14, item 5), read from the source's import statements.

- ``itam/`` (settings, URL root, API plumbing) imports no app, except in its URL and settings
  modules, which name the apps by design;
- audit imports no app's ``api`` package, not even by name (``import_string``), and no
  admin module imports an ``api`` module;
- service modules speak no HTTP: no ``rest_framework`` and no ``itam.api``;
- no import cycle between the project's own modules; ``resources`` declares columns only;
- one ``api/urls.py`` per app, the resources' extra endpoints being viewset actions.

The graph is built from the AST of every project module (migrations and tests excluded). Only
module-level imports count for the cycle check: an import inside a function runs late, after
both modules exist, and is the usual way to defer one (a queryset method reaching the models).
The direction rules count every import.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "audit", "inventory", "webhooks")
PACKAGES = ("itam", *APPS)
# itam modules that wire the apps in by name: the URL root and the settings.
ITAM_WIRING = {"itam.settings", "itam.urls", "itam.api.urls", "itam.wsgi", "itam.asgi"}


def _module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_files():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or "tests" in parts:
                continue
            yield _module_name(path), path


def _resolve(module, node):
    """The absolute dotted names one import statement imports (``from a import b`` yields
    ``a.b`` as well as ``a``: ``b`` may be a submodule)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:
        package = module.split(".")
        is_package = (ROOT / Path(*package) / "__init__.py").exists()
        base = package if is_package else package[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module
    return [prefix, *(f"{prefix}.{alias.name}" for alias in node.names)]


def _imports(module, path, top_level_only=False):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.update(_resolve(module, node))
        elif top_level_only and isinstance(node, (ast.If, ast.Try)):
            # Module-level conditionals run at import time too (but not ``if TYPE_CHECKING``).
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for child in ast.walk(node):
                if isinstance(child, (ast.Import, ast.ImportFrom)):
                    found.update(_resolve(module, child))
    return found


MODULES = dict(_project_files())
IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}


def _is_under(name, package):
    return name == package or name.startswith(package + ".")


def _violations(modules, forbidden):
    return sorted(
        f"{module} imports {target}"
        for module in modules
        for target in IMPORTS[module]
        if any(_is_under(target, package) for package in forbidden)
    )


def test_module_list_covers_the_project():
    # The rules below are vacuous if the walk finds nothing: pin a few known modules.
    assert {"itam.api.fields", "inventory.models", "inventory.services.importing", "audit.recorder"} <= set(MODULES)


def test_itam_imports_no_app_outside_its_wiring():
    itam = [m for m in MODULES if _is_under(m, "itam") and m not in ITAM_WIRING]
    assert _violations(itam, APPS) == []


AUDIT = [m for m in MODULES if _is_under(m, "audit")]
APP_APIS = [f"{app}.api" for app in APPS if app != "audit"]


def test_audit_imports_no_app_api():
    assert _violations(AUDIT, APP_APIS) == []


def _dotted_names(path):
    """String constants that look like a dotted path (what ``import_string`` would load)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and n.value.count(".") >= 2 and " " not in n.value}


def test_audit_loads_no_app_api_by_name():
    named = sorted(f"{m} names {name}" for m in AUDIT for name in _dotted_names(MODULES[m])
                   if any(_is_under(name, api) for api in APP_APIS))
    assert named == []


ADMIN = [m for m in MODULES if m.split(".")[-1].startswith("admin")]


def test_admin_imports_no_app_api_module():
    assert {"inventory.admin", "inventory.admin_workbook", "accounts.admin_login"} <= set(ADMIN)
    assert _violations(ADMIN, [f"{app}.api" for app in APPS]) == []




def test_admin_imports_no_itam_api_module():
    assert _violations(ADMIN, ["itam.api"]) == []


def _is_service(name):
    return _is_under(name, "inventory.services") or name.split(".")[-1] == "services" or ".services." in name


def test_services_speak_no_http():
    services = [m for m in MODULES if _is_service(m)]
    assert "accounts.services" in services and "inventory.services.importing" in services
    assert _violations(services, ["rest_framework", "itam.api"]) == []


def _find_cycles(graph):
    """Every strongly connected component of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def _module_graph():
    """Module -> the project modules it imports at module level. A package's ``__init__`` is
    imported with each of its submodules, so ``from a.b import c`` depends on ``a.b``
    (and on ``a.b.c`` when that is a module)."""
    graph = {}
    for module, path in MODULES.items():
        targets = {t for t in _imports(module, path, top_level_only=True) if t in MODULES and t != module}
        graph[module] = targets
    return graph


def test_cycle_finder_finds_a_cycle():
    assert _find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert _find_cycles(_module_graph()) == []


def test_resources_declare_columns_only():
    # The cycle check skips deferred imports; this is the one the importer and the admin
    # adapter used to close (resources -> services.importing -> resources), at any depth.
    users = ["inventory.services", "inventory.admin_workbook", "inventory.api"]
    assert _violations(["inventory.resources"], users) == []


def test_one_api_url_module_per_app():
    url_modules = {m for m in MODULES if m.split(".")[-1].endswith("urls") and not _is_under(m, "itam")}
    assert url_modules == {f"{app}.api.urls" for app in APPS}


@pytest.mark.parametrize(
    "path, viewset, action",
    [
        ("/api/datacenters/overview", "DatacenterViewSet", "overview"),
        ("/api/servers/tree/", "ServerViewSet", "tree"),
        ("/api/servers/batch-update", "ServerViewSet", "batch_update"),
        ("/api/servers/batch-delete/", "ServerViewSet", "batch_delete"),
        ("/api/gpus/7/assign", "GPUViewSet", "assign"),
        ("/api/gpus/7/release/", "GPUViewSet", "release"),
        ("/api/gpus/7/assignments", "GPUViewSet", "assignments"),
        ("/api/gpus/utilization", "GPUViewSet", "utilization"),
        ("/api/gpus/update-sort-order", "GPUViewSet", "update_sort_order"),
        ("/api/containers/update-sort-order/", "ContainerViewSet", "update_sort_order"),
        ("/api/services/update-sort-order", "ServiceViewSet", "update_sort_order"),
    ],
)
def test_resource_endpoints_are_viewset_actions(path, viewset, action):
    from django.urls import resolve

    match = resolve(path)
    assert match.func.cls.__name__ == viewset
    assert action in match.func.actions.values()
