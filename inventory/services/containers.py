"""Containers and their port mappings (API.md §3.6): the one place that writes them.

A container's mappings are written as a whole: a write names the complete new set, which
replaces the old one when it differs (``same_mappings``, the one comparer). The container is
saved once and its audit entry shows its field changes and, when they changed, its
mappings as ``port_mappings: {"old": [chains], "new": [chains]}`` (``old`` null for a new
container, whose entry always lists its mappings, even none).

Every path calls this module: the API (``create``/``update``/``delete``), the admin (the
container page with its mapping inline: ``save_container``; one mapping on its own:
``save_port_mapping``/``delete_port_mappings``), the importer and seeding
(``MappingReplacements``, the bulk variant).

Two mappings never publish the same external ``ip:port/protocol`` (``ExternalAddresses``):
a write that would is refused with a Conflict naming the container holding the address,
before anything is written, and a concurrent writer's clash (the database's unique
constraint) becomes the same Conflict.
"""
from contextlib import contextmanager

from django.db import IntegrityError, transaction

from audit.bulk import bulk_create_with_audit
from audit.recorder import extra_changes
from audit.registry import part_for
from itam.errors import Conflict
from itam.persistence import save_unique

from ..models import Container, PortMapping, format_address
from . import crud
from .ownership import claim_for_creator

# --- the comparer ---------------------------------------------------------------------------

def mapping_key(mapping):
    """A mapping's values as comparable text (blank and null alike); ``mapping`` is a
    PortMapping or a dict of its fields (the importer's parsed cells)."""
    get = mapping.get if isinstance(mapping, dict) else mapping.__dict__.get
    return tuple("" if (value := get(name)) is None else str(value) for name in PortMapping.value_fields)


def same_mappings(old, new):
    """Whether two sets of mappings are the same, whatever their order and ids."""
    return sorted(map(mapping_key, old)) == sorted(map(mapping_key, new))


def in_port_order(mappings):
    return sorted(mappings, key=lambda mapping: mapping.container_port)


def mappings_change(container, old, new):
    """``(container, changes)`` for ``audit.recorder.extra_changes``: the mappings as the
    PortMapping model's audit representation lists them; ``old=None`` for a new container."""
    return container, part_for(PortMapping).change(old, in_port_order(new))


# --- external addresses: one mapping per ip:port/protocol ---------------------------------

SWAPPED_ADDRESSES = ("Two of this container's port mappings exchange their external addresses; "
                     "change one and save, then the other.")


def address_label(key):
    """``203.0.113.10:8080/tcp`` for an ``external_key``."""
    ip, port, protocol = key
    return f"{format_address(ip, port)}/{protocol}"


def taken_message(key, holder, claimant=None):
    if holder is claimant or (holder.pk is not None and holder.pk == getattr(claimant, "pk", None)):
        return f"External address {address_label(key)} is already used by another mapping of this container."
    return f"External address {address_label(key)} is already used by container {holder.label}."


class ExternalAddresses:
    """The rule: no two mappings publish the same external ``ip:port/protocol`` (both IP and
    port set; see docs/API-NOTES.md). ``add`` the complete new set of mappings of each
    container a write replaces (one for the API and the admin, many for the importer), each
    mapping with a reference of the caller's (its index, its spreadsheet row); ``clashes()``
    then lists ``(reference, message)`` for every mapping that claims an address already
    claimed in this write or held by a stored mapping of a container the write leaves alone."""

    CHUNK = 500

    def __init__(self):
        self.claimed = {}  # key -> (container, reference) of its first claim in this write
        self.replacing = set()  # ids of containers whose stored mappings this write replaces
        self.found = []  # (reference, message)

    def add(self, container, mappings, references=None):
        if container.pk is not None:
            self.replacing.add(container.pk)
        for position, mapping in enumerate(mappings):
            key = mapping.external_key
            if key is None:
                continue
            reference = position if references is None else references[position]
            if key in self.claimed:
                self.found.append((reference, taken_message(key, self.claimed[key][0], container)))
            else:
                self.claimed[key] = (container, reference)

    def clashes(self):
        keys = list(self.claimed)
        for start in range(0, len(keys), self.CHUNK):
            chunk = keys[start:start + self.CHUNK]
            stored = PortMapping.objects.filter(
                external_ip__in={ip for ip, _, _ in chunk}, external_port__in={port for _, port, _ in chunk},
            ).select_related("container__server__datacenter")
            wanted = set(chunk)
            # The replaced containers' rows go away: skipped here, not in SQL (an import may
            # replace thousands, more than a statement takes parameters).
            for mapping in stored:
                if mapping.external_key in wanted and mapping.container_id not in self.replacing:
                    container, reference = self.claimed[mapping.external_key]
                    self.found.append((reference, taken_message(mapping.external_key, mapping.container, container)))
        return sorted(self.found, key=lambda found: found[0])  # by index or row number


def external_address_clashes(container, mappings):
    """``[(index in mappings, message)]``: the mappings of ``container``'s complete new set
    whose external address is taken (the admin's forms show them before saving)."""
    check = ExternalAddresses()
    check.add(container, mappings)
    return check.clashes()


def ensure_external_addresses_free(container, mappings):
    """Conflict (``port_mappings.{index}.external_port``, as the API names nested fields) when
    ``container``'s new set of mappings claims a taken external address."""
    clashes = external_address_clashes(container, mappings)
    if clashes:
        raise Conflict(clashes[0][1], errors={
            f"port_mappings.{index}.external_port": [message] for index, message in clashes})


# --- one container --------------------------------------------------------------------------

def create(values, *, creator=None):
    """A new container from the API's ``values``; ``port_mappings`` (a list of mapping values,
    null as none) become its mappings. Its owner is ``creator``."""
    values = dict(values)
    mappings = [PortMapping(**item) for item in values.pop("port_mappings", None) or ()]
    return save_container(Container(**values), mappings=mappings, creator=creator)


def update(container, values):
    """Apply the API's ``values``; ``port_mappings`` given (null as ``[]``) replaces every
    mapping unless the same set is sent back (the mappings then keep their ids)."""
    values = dict(values)
    if "port_mappings" not in values:
        return crud.update(container, values)
    wanted = [PortMapping(**item) for item in values.pop("port_mappings") or ()]
    old = stored_mappings(container)
    if same_mappings(old, wanted):
        return crud.update(container, values)
    for name, value in values.items():
        setattr(container, name, value)
    return save_container(container, mappings=wanted, old=old)


def delete(container):
    crud.delete(container)


def stored_mappings(container):
    """The container's mappings as stored, read with the server they were stored under (a
    change of server in the same write must not change the old chains)."""
    return list(PortMapping.objects.filter(container_id=container.pk).select_related("container__server"))


@transaction.atomic
def save_container(container, *, mappings=None, creator=None, old=None):
    """Save ``container`` (new, or changed in memory) and, with ``mappings``, make them its
    complete set: rows with an id are kept (saved when changed), the others added, the rest
    deleted. ``old``: the stored mappings when the caller has read them already."""
    is_new = container.pk is None
    claim_for_creator(container, creator)
    for mapping in mappings or ():
        mapping.container = container
    if is_new:
        mappings = list(mappings or ())
        old = None
    elif mappings is not None:
        old = stored_mappings(container) if old is None else old
        if same_mappings(old, mappings):
            mappings = None  # nothing to write; changed rows of an admin inline are the same values
    if mappings is None and not is_new:
        save_unique(container)
        return container
    ensure_external_addresses_free(container, mappings)
    with extra_changes([mappings_change(container, old, mappings)]):
        save_unique(container)
    try:
        with transaction.atomic():  # a savepoint: the check below queries after a failure
            write_mappings(container, old or [], mappings)
    except IntegrityError:  # a concurrent writer took an address since the check...
        ensure_external_addresses_free(container, mappings)
        raise Conflict(SWAPPED_ADDRESSES) from None  # ...or two kept rows swap addresses
    return container


def write_mappings(container, old, new):
    """Make ``new`` the container's mappings: delete the old rows not kept, save new and changed ones."""
    kept = {mapping.pk for mapping in new if mapping.pk is not None}
    stale = [mapping.pk for mapping in old if mapping.pk not in kept]
    if stale:
        PortMapping.objects.filter(pk__in=stale).delete()
    stored = {mapping.pk: mapping_key(mapping) for mapping in old}
    # Changed rows before new ones: a new row may take the address a kept row gives up.
    for mapping in sorted(in_port_order(new), key=lambda mapping: mapping.pk is None):
        if mapping.pk is None or mapping_key(mapping) != stored.get(mapping.pk):
            mapping.save()


# --- one mapping on its own (the admin's port-mapping pages) ---------------------------------

@transaction.atomic
def save_port_mapping(mapping):
    """Add or change one mapping of its container: a write of the container's mappings."""
    container = Container.objects.select_for_update().get(pk=mapping.container_id)
    old = stored_mappings(container)
    others = [m for m in old if m.pk != mapping.pk]
    save_container(container, mappings=[*others, mapping], old=old)
    return mapping


@transaction.atomic
def delete_port_mappings(mappings):
    """Delete mappings (of one or several containers): one write per container."""
    doomed = {}
    for mapping in mappings:
        doomed.setdefault(mapping.container_id, set()).add(mapping.pk)
    for container in Container.objects.select_for_update().filter(pk__in=doomed).order_by("pk"):
        old = stored_mappings(container)
        save_container(container, mappings=[m for m in old if m.pk not in doomed[container.pk]], old=old)


# --- many containers at once (the importer, seeding) --------------------------------------

class MappingReplacements:
    """The bulk variant: containers whose mappings a bulk write replaces, by the same rules.

    ``add`` each container with its stored mappings (``None`` for a new container) and the
    wanted ones; write the containers inside ``recorded()`` (their audit entries then show
    the mappings), then ``write()`` the mappings. Rows of one container must all be added
    or none: ``write`` replaces every mapping of the containers it names."""

    def __init__(self):
        self.replacing = []  # (container, old mappings or None, new mappings)

    def add(self, container, old, new):
        """Replace the container's mappings (``old``, None for a new container) with ``new``
        (unsaved PortMappings); the caller has found them different (``same_mappings``)."""
        self.replacing.append((container, old, new))

    def new_mappings(self):
        return [mapping for _, _, mappings in self.replacing for mapping in mappings]

    @contextmanager
    def recorded(self):
        with extra_changes(mappings_change(container, old, new) for container, old, new in self.replacing):
            yield

    def write(self, chunk=500):
        """Delete the replaced mappings, then create the new ones (history only: their
        containers' entries name them); returns the new ones."""
        replaced = [container.pk for container, old, _ in self.replacing if old is not None]
        for start in range(0, len(replaced), chunk):
            PortMapping.objects.filter(container_id__in=replaced[start:start + chunk]).delete()
        return bulk_create_with_audit(PortMapping, self.new_mappings())
