"""Baselines for bench/run.py: the same rows fetched with raw SQL and serialised with
json.dumps — the floor that the API is compared against."""
import json

from django.db import connection


def _rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _dump(data, **extra):
    return json.dumps({"code": 0, "message": "success", "data": data, **extra}, default=str)


def _page(table, rows, size=100):
    """A page's envelope: the API counts the whole table for ``pagination``, so does this."""
    total = _rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]
    return _dump(rows, pagination={"page": 1, "page_size": size, "total": total, "pages": -(-total // size)})


SERVER_SQL = """
SELECT s.id, s.name, s.datacenter_id, d.name AS datacenter_name, s.environment_id,
       e.name AS environment_name, e.color AS environment_color, s.internal_ip, s.external_ip,
       s.cpu_cores, s.memory_gb, s.disk_gb, s.os_type, s.cpu_usage, s.memory_usage, s.disk_usage,
       s.status, s.responsible_person, s.description, s.ssh_port, s.ssh_user,
       (SELECT COUNT(*) FROM inventory_container c WHERE c.server_id = s.id) AS container_count,
       (SELECT COUNT(*) FROM inventory_gpu g WHERE g.server_id = s.id) AS gpu_count,
       s.created_at, s.updated_at
FROM inventory_server s
JOIN inventory_datacenter d ON d.id = s.datacenter_id
JOIN inventory_environment e ON e.id = s.environment_id
"""


def _servers(where="", order="ORDER BY s.created_at DESC, s.id DESC LIMIT 100", params=()):
    rows = _rows(f"{SERVER_SQL} {where} {order}", params)
    for r in rows:
        r["ssh_command"] = f"ssh -p {r['ssh_port']} {r['ssh_user']}@{r['internal_ip']}"
    return rows


CONTAINER_SQL = """
SELECT c.*, s.name AS server_name, s.internal_ip AS server_ip, o.display_name AS owner_name,
       a.display_name AS assigned_user_name,
       (SELECT COUNT(*) FROM inventory_service v WHERE v.container_id = c.id) AS service_count
FROM inventory_container c
JOIN inventory_server s ON s.id = c.server_id
JOIN accounts_user o ON o.id = c.owner_id
LEFT JOIN accounts_user a ON a.id = c.assigned_user_id
"""

GPU_SQL = """
SELECT g.*, s.name AS server_name, u.display_name AS assigned_user_name,
       a.purpose, a.assigned_at, a.expires_at
FROM inventory_gpu g
JOIN inventory_server s ON s.id = g.server_id
LEFT JOIN accounts_user u ON u.id = g.assigned_to_id
LEFT JOIN inventory_gpuassignment a ON a.gpu_id = g.id AND a.released_at IS NULL
"""


SERVICE_SQL = """
SELECT v.*, c.name AS container_name, o.display_name AS owner_name
FROM inventory_service v
JOIN inventory_container c ON c.id = v.container_id
JOIN accounts_user o ON o.id = v.owner_id
"""

CARD_FIELDS = ("cpu_usage", "memory_usage", "disk_usage", "cpu_cores", "memory_gb", "disk_gb", "gpu_count",
               "updated_at", "ssh_command", "internal_ip")


def _mappings(container_ids):
    if not container_ids:
        return {}
    marks = ",".join(["%s"] * len(container_ids))
    by_container = {}
    for m in _rows(f"SELECT * FROM inventory_portmapping WHERE container_id IN ({marks}) "
                   "ORDER BY container_port, id", container_ids):
        by_container.setdefault(m["container_id"], []).append(m)
    return by_container


def _all_mappings(where, params):
    by_container = {}
    for m in _rows("SELECT m.* FROM inventory_portmapping m JOIN inventory_container c ON c.id = m.container_id "
                   f"{where} ORDER BY m.container_port, m.id", params):
        by_container.setdefault(m["container_id"], []).append(m)
    return by_container


def _containers(where="", order="", params=()):
    rows = _rows(f"{CONTAINER_SQL} {where} {order}", params)
    # A page fetches its mappings by id; a whole fleet in one joined query.
    mappings = _mappings([r["id"] for r in rows]) if "LIMIT" in order else _all_mappings(where, params)
    for r in rows:
        r["port_mappings"] = mappings.get(r["id"], [])
        for m in r["port_mappings"]:
            ip = m["internal_ip"] or r["server_ip"]
            m["internal_address"] = f"{ip}:{m['internal_port']}"
            m["mapping_chain"] = f"{m['container_port']} → {m['internal_address']}"
    return rows


def servers_page():
    return _page("inventory_server", _servers())


def server_detail(server_id):
    server = _servers("WHERE s.id = %s", "", (server_id,))[0]
    containers = _containers("WHERE c.server_id = %s", "ORDER BY c.sort_order, c.id", (server_id,))
    services = _rows(f"{SERVICE_SQL} WHERE c.server_id = %s ORDER BY v.sort_order, v.id", (server_id,))
    for c in containers:
        c["services"] = [s for s in services if s["container_id"] == c["id"]]
    server["containers"] = containers
    server["gpus"] = _rows(f"{GPU_SQL} WHERE g.server_id = %s ORDER BY g.sort_order, g.\"index\", g.id", (server_id,))
    return _dump(server)


def tree(level):
    servers = _servers(order="ORDER BY s.name, s.id")
    if level >= 2:
        containers = _containers(order="ORDER BY c.sort_order, c.id")
        gpus = _rows(f"{GPU_SQL} ORDER BY g.sort_order, g.\"index\", g.id")
        services = _rows(f"{SERVICE_SQL} ORDER BY v.sort_order, v.id") if level == 3 else []
        by_container = {}
        for s in services:
            s["_type"] = "service"
            by_container.setdefault(s["container_id"], []).append(s)
        children = {}
        for c in containers:
            c["_type"] = "container"
            if level == 3:
                c["children"] = by_container.get(c["id"], [])
            children.setdefault(c["server_id"], []).append(c)
        gpu_children = {}
        for g in gpus:
            g["_type"] = "gpu"
            gpu_children.setdefault(g["server_id"], []).append(g)
        for s in servers:
            s["hasChildren"] = True
            card = {"_type": "_resource_card", "id": f"card_{s['id']}", **{f: s[f] for f in CARD_FIELDS}}
            s["children"] = [card, *children.get(s["id"], []), *gpu_children.get(s["id"], [])]
    return _dump(servers)


def containers_page():
    return _page("inventory_container", _containers(order="ORDER BY c.created_at DESC, c.id DESC LIMIT 100"))


def gpus_page():
    return _page("inventory_gpu", _rows(f"{GPU_SQL} ORDER BY g.server_id, g.\"index\", g.id LIMIT 100"))


def search(keyword):
    like = f"%{keyword.lower()}%"
    return _dump({
        "servers": _servers("WHERE LOWER(s.name) LIKE %s OR LOWER(s.responsible_person) LIKE %s "
                            "OR LOWER(s.description) LIKE %s", "ORDER BY s.name, s.id LIMIT 50", (like, like, like)),
        "containers": _containers("WHERE LOWER(c.name) LIKE %s OR LOWER(c.image) LIKE %s OR LOWER(c.description) LIKE %s",
                                  "ORDER BY c.name, c.id LIMIT 50", (like, like, like)),
        "services": _rows(f"{SERVICE_SQL} WHERE LOWER(v.name) LIKE %s OR LOWER(v.service_type) LIKE %s "
                          "OR LOWER(v.description) LIKE %s ORDER BY v.name, v.id LIMIT 50", (like, like, like)),
        "gpus": _rows(f"{GPU_SQL} WHERE LOWER(g.model) LIKE %s OR LOWER(g.description) LIKE %s "
                      "ORDER BY g.server_id, g.\"index\", g.id LIMIT 50", (like, like)),
        "port_mappings": [],
    })


def audit_page():
    return _page("audit_auditlog", _rows(
        "SELECT id, user_id, username, action, resource_type, resource_id, resource_name, "
        "ip_address, created_at, request_id FROM audit_auditlog ORDER BY created_at DESC, id DESC LIMIT 100"))


def overview():
    datacenters = _rows("""
        SELECT d.id, d.name, d.location,
          (SELECT COUNT(*) FROM inventory_server s WHERE s.datacenter_id = d.id) AS server_count,
          (SELECT COUNT(*) FROM inventory_container c JOIN inventory_server s ON s.id = c.server_id
             WHERE s.datacenter_id = d.id) AS container_count,
          (SELECT COUNT(*) FROM inventory_service v JOIN inventory_container c ON c.id = v.container_id
             JOIN inventory_server s ON s.id = c.server_id WHERE s.datacenter_id = d.id) AS service_count,
          (SELECT COUNT(DISTINCT g.server_id) FROM inventory_gpu g JOIN inventory_server s ON s.id = g.server_id
             WHERE s.datacenter_id = d.id) AS gpu_server_count
        FROM inventory_datacenter d WHERE d.is_active ORDER BY d.name, d.id""")
    groups = _rows("SELECT datacenter_id, environment_id, status, COUNT(*) AS n FROM inventory_server "
                   "GROUP BY datacenter_id, environment_id, status")
    for d in datacenters:
        mine = [g for g in groups if g["datacenter_id"] == d["id"]]
        d["env_stats"], d["status_stats"] = {}, {}
        for g in sorted(mine, key=lambda g: g["environment_id"]):
            d["env_stats"][str(g["environment_id"])] = d["env_stats"].get(str(g["environment_id"]), 0) + g["n"]
        for g in sorted(mine, key=lambda g: g["status"]):
            d["status_stats"][g["status"]] = d["status_stats"].get(g["status"], 0) + g["n"]
    return _dump(datacenters)
