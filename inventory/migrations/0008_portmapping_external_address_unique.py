from django.db import migrations, models
from django.db.models import Count


def refuse_existing_duplicates(apps, schema_editor):
    """Stop with the list of clashing mappings rather than pick which container loses its
    address: the operator decides (docs/DEPLOYMENT.md), then runs the migration again."""
    PortMapping = apps.get_model("inventory", "PortMapping")
    clashes = (PortMapping.objects.filter(external_ip__isnull=False, external_port__isnull=False)
               .values("external_ip", "external_port", "protocol").annotate(n=Count("id")).filter(n__gt=1)
               .order_by("external_ip", "external_port", "protocol"))
    lines = []
    for clash in clashes:
        holders = (PortMapping.objects.filter(external_ip=clash["external_ip"], external_port=clash["external_port"],
                                              protocol=clash["protocol"])
                   .order_by("id").values_list("id", "container__name", "container__server__name"))
        names = ", ".join(f"mapping {pk} of container {name} on {server}" for pk, name, server in holders)
        lines.append(f"  {clash['external_ip']}:{clash['external_port']}/{clash['protocol']}: {names}")
    if lines:
        raise RuntimeError(
            "Port mappings share an external address; give each address to one mapping (change or "
            "clear the external IP/port of the others in the admin or API), then migrate again:\n"
            + "\n".join(lines))


class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0007_casefolded_name_keys'),
    ]

    operations = [
        migrations.RunPython(refuse_existing_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='portmapping',
            constraint=models.UniqueConstraint(fields=('external_ip', 'external_port', 'protocol'), name='portmapping_external_address_unique', violation_error_message='Another port mapping already uses this external address.'),
        ),
    ]
