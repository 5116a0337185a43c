"""The admin section of ``make bench``: server-side time of the pages ops staff open every
day, at the benchmark fleet (1,000 servers, see ``run.FLEET``). Target: 300 ms each.

Timed in-process with Django's test client and a logged-in admin's session, so the figure is
what the server spends (URL routing, middleware, queries, templates), without a network or
a browser. Prints figures; asserts nothing.
"""
import time

from django.db import connection
from django.test import Client

TARGET_MS = 300


def admin_pages():
    """(label, URL) of each page measured; the change forms are of the fleet's first objects."""
    from inventory.models import GPU, Datacenter, Server

    server = Server.objects.order_by("id").first()
    gpu = GPU.objects.order_by("id").first()
    datacenter = Datacenter.objects.order_by("name", "id").first()
    return [
        ("dashboard", "/admin/"),
        ("tree", "/admin/tree/"),
        (f"tree, datacenter {datacenter.name} opened", f"/admin/tree/datacenter/{datacenter.pk}/"),
        (f"tree, server {server.name} opened", f"/admin/tree/server/{server.pk}/"),
        ("server list", "/admin/inventory/server/"),
        ("server list, searched by datacenter", f"/admin/inventory/server/?q={datacenter.name}"),
        ("GPU list", "/admin/inventory/gpu/"),
        ("container list", "/admin/inventory/container/"),
        ("GPU assignment list, open", "/admin/inventory/gpuassignment/?state=open"),
        ("audit log", "/admin/audit/auditlog/"),
        (f"server change form ({server.containers.count()} containers inline)", f"/admin/inventory/server/{server.pk}/change/"),
        ("GPU change form", f"/admin/inventory/gpu/{gpu.pk}/change/"),
        ("container autocomplete", "/admin/autocomplete/?app_label=inventory&model_name=service"
                                   "&field_name=container&term=nginx"),
    ]


def timed(get, runs):
    get()  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        get()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples[len(samples) // 2], samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def admin_table(user, runs):
    client = Client()
    client.force_login(user)
    print(f"\n## Admin pages (server-side, in-process test client, {connection.vendor}, {runs} runs each; "
          f"target ≤ {TARGET_MS} ms)\n")
    print("| page | status | queries | KiB | median ms | p95 ms | within target |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for label, url in admin_pages():
        queries = []
        with connection.execute_wrapper(lambda execute, *args: queries.append(1) or execute(*args)):
            response = client.get(url)
        median, p95 = timed(lambda: client.get(url), runs)
        rows.append((label, median))
        print(f"| {label} `{url}` | {response.status_code} | {len(queries)} "
              f"| {len(response.content) / 1024:.0f} | {median:.1f} | {p95:.1f} | {'yes' if median <= TARGET_MS else 'NO'} |")
    return rows
