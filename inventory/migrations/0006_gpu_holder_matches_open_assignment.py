"""A GPU's holder and its open assignment are tied by keys and foreign keys both databases
enforce (see inventory.models.HOLDING_KEY_BASE). Existing rows are brought in step first:
an open assignment that its GPU does not hold is closed, and a holder without an open
assignment gets one, so no holder is lost."""

import django.db.models.deletion
import django.db.models.expressions
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

BASE = 2 ** 32

def bring_in_step(apps, schema_editor):
    GPU = apps.get_model("inventory", "GPU")
    GPUAssignment = apps.get_model("inventory", "GPUAssignment")
    now = timezone.now()
    for assignment in GPUAssignment.objects.filter(released_at__isnull=True).select_related("gpu"):
        if assignment.user_id is None or assignment.gpu.assigned_to_id != assignment.user_id:
            assignment.released_at = max(now, assignment.assigned_at)
            assignment.release_reason = "repair"
            assignment.save(update_fields=["released_at", "release_reason"])
    for gpu in GPU.objects.filter(assigned_to__isnull=False).select_related("assigned_to"):
        key = gpu.id * BASE + gpu.assigned_to_id
        assignment = GPUAssignment.objects.filter(gpu=gpu, released_at__isnull=True).first()
        if assignment is None:
            name = gpu.assigned_to.display_name or gpu.assigned_to.username
            assignment = GPUAssignment.objects.create(
                gpu=gpu, user_id=gpu.assigned_to_id, user_name=name, assigned_by_name="system",
                assigned_at=gpu.updated_at,
            )
        GPUAssignment.objects.filter(pk=assignment.pk).update(open_key=key, gpu_holding_id=key)
        GPU.objects.filter(pk=gpu.pk).update(holding_id=key)



class Migration(migrations.Migration):

    dependencies = [
        ('inventory', '0005_text_indexes_without_pattern_twins'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='gpuassignment',
            name='open_key',
            field=models.BigIntegerField(blank=True, editable=False, null=True, unique=True),
        ),
        migrations.AddField(
            model_name='gpu',
            name='holding',
            field=models.OneToOneField(blank=True, db_column='holding_key', editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='inventory.gpuassignment', to_field='open_key'),
        ),
        migrations.AddField(
            model_name='gpuassignment',
            name='gpu_holding',
            field=models.OneToOneField(blank=True, db_column='gpu_holding_key', editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='inventory.gpu', to_field='holding'),
        ),
        migrations.RunPython(bring_in_step, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='gpu',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('assigned_to__isnull', True), ('holding__isnull', True)), models.Q(('assigned_to__isnull', False), ('holding__isnull', False), ('holding_id', django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('id'), '*', models.Value(4294967296)), '+', models.F('assigned_to_id')))), _connector='OR'), name='gpu_holder_has_open_assignment'),
        ),
        migrations.AddConstraint(
            model_name='gpuassignment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('gpu_holding_id', models.F('open_key')), ('open_key', django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('gpu_id'), '*', models.Value(4294967296)), '+', models.F('user_id'))), ('open_key__isnull', False), ('released_at__isnull', True), ('user__isnull', False)), models.Q(('gpu_holding__isnull', True), ('open_key__isnull', True), ('released_at__isnull', False)), _connector='OR'), name='gpuassignment_open_holds_gpu'),
        ),
    ]
