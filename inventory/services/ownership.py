"""Owner = creator (API.md §3.6, §3.7): a new container or service belongs to whoever creates
it, unless the write names an owner itself (the import's Owner column). The API, the admin
(forms and inlines) and the importer all apply this rule."""
from itam.errors import Invalid

NO_CREATOR = "Give the owner: there is nobody creating this to default to."


def is_owned(model):
    return any(field.name == "owner" for field in model._meta.concrete_fields)


def claim_for_creator(obj, creator):
    """Make ``creator`` the owner of ``obj`` when it is new, owned and has no owner yet.
    Invalid (on ``owner``) when there is no creator to default to (a system import)."""
    if obj.pk is not None or not is_owned(type(obj)) or obj.owner_id is not None:
        return
    if getattr(creator, "pk", None) is None:
        raise Invalid(NO_CREATOR, field="owner")
    obj.owner = creator
