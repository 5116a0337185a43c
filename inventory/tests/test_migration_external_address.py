"""Migration 0008 adds the unique external address of port mappings; a database that holds
clashing mappings stops it with the list to fix instead of losing data (DEPLOYMENT.md)."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("inventory", "0007_casefolded_name_keys")]
AFTER = [("inventory", "0008_portmapping_external_address_unique")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_lists_clashing_mappings_and_applies_once_they_are_fixed():
    from tests.factories import ContainerFactory, ServerFactory

    server = ServerFactory(name="web-01")
    first, second = ContainerFactory(server=server, name="nginx-01"), ContainerFactory(server=server, name="api-01")
    try:
        apps = migrate(BEFORE)
        PortMapping = apps.get_model("inventory", "PortMapping")
        for container in (first, second):
            PortMapping.objects.create(container_id=container.pk, container_port=80, internal_port=80,
                                       external_ip="203.0.113.10", external_port=8080, protocol="tcp")
        with pytest.raises(RuntimeError) as stopped:
            migrate(AFTER)
        message = str(stopped.value)
        assert "203.0.113.10:8080/tcp: mapping" in message
        assert "of container nginx-01 on web-01" in message and "of container api-01 on web-01" in message
        PortMapping.objects.filter(container_id=second.pk).update(external_port=8081)
    finally:
        executor = MigrationExecutor(connection)
        migrate(executor.loader.graph.leaf_nodes())  # every app as the other tests expect it
