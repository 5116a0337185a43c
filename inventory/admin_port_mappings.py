"""The admin's port-mapping pieces. Forms: a clash of external addresses (the container
service's rule, ``containers.external_address_clashes``) is a form error on the row's
external port, naming the container that holds the address, shown before anything is
saved. The list: server and datacenter columns, a search by port number."""
from django import forms
from django.db.models import Q

from itam.access import OwnerOrAdmin

from .models import Container
from .services import containers


# A mapping is its container's: who may change the container may change its mappings.
MAPPING_ACCESS = OwnerOrAdmin(owner="container.owner_id")


class PortMappingInlineFormSet(forms.BaseInlineFormSet):
    """A container page's mapping rows: the rows kept and added are the container's new set."""

    def clean(self):
        rows = [form for form in self.forms if form.is_valid() and (form.instance.pk or form.has_changed())
                and not self._should_delete_form(form)]
        for index, message in containers.external_address_clashes(self.instance, [form.instance for form in rows]):
            rows[index].add_error("external_port", message)
        super().clean()  # Django's own checks, over the rows left without an error


class PortMappingForm(forms.ModelForm):
    """One mapping on its own page: the container's set with this mapping added or changed."""

    def _post_clean(self):
        super()._post_clean()  # the instance now holds the posted values
        mapping = self.instance
        if self.errors or mapping.container_id is None:
            return
        container = Container.objects.select_related("server").get(pk=mapping.container_id)
        others = [m for m in containers.stored_mappings(container) if m.pk != mapping.pk]
        for index, message in containers.external_address_clashes(container, [*others, mapping]):
            if index == len(others):
                self.add_error("external_port", message)


def port_search(search_term):
    """A filter for mappings one of whose ports is a number of the search (the ports are
    indexed, where a text search over them would scan the table); None without a number."""
    numbers = [int(bit) for bit in search_term.split() if bit.isdigit() and 0 < int(bit) <= 65535]
    if not numbers:
        return None
    return Q(container_port__in=numbers) | Q(internal_port__in=numbers) | Q(external_port__in=numbers)
