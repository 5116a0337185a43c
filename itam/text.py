"""Text fields hold no control characters (issue 19): an xlsx cell cannot hold C0 control
characters other than tab and line breaks, so text carrying them could not survive an
export and re-import. They are refused at input, on every path, with one message.

The rule is ``validate_no_control_characters``. ``refuse_control_characters(Model, ...)``,
called where the models are declared, adds it to their free-text fields, so the admin's
forms and the importer (which check the model fields' validators) apply it; the API's
``CharField`` (``itam.api.fields``) applies the same pattern to every text input, model-backed
or not, before trimming.
NUL is left to the NUL validators Django's and DRF's text fields already carry.
"""
import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

# openpyxl's ILLEGAL_CHARACTERS_RE (what an xlsx cell cannot hold) less NUL.
CONTROL_CHARACTERS = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_CHARACTERS_MESSAGE = "Control characters are not allowed (tab and line breaks are)."


def validate_no_control_characters(value):
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValidationError(CONTROL_CHARACTERS_MESSAGE, code="control_characters")


def checks_its_own_characters(validators):
    """A pattern validator (asset names, codes, usernames) already says which characters fit."""
    return any(isinstance(v, RegexValidator) for v in validators)


def refuse_control_characters(*model_classes, exclude=("password",)):
    """Add the rule to every CharField/TextField of the models (not to choice fields, pattern-
    checked fields or ``exclude``). As a default validator of the field instance: a
    validator passed to the field would be part of its migrations, and this is no schema."""
    for model in model_classes:
        for field in model._meta.local_fields:
            if (isinstance(field, (models.CharField, models.TextField)) and not field.choices
                    and field.name not in exclude and not checks_its_own_characters(field.validators)):
                field.__dict__.pop("validators", None)  # a cached_property: recomputed with the rule
                field.default_validators = [*type(field).default_validators, validate_no_control_characters]


def is_ascii_number_text(data):
    """False for text with digits outside ASCII ("٢٢", "２２"): Python's int(), float() and
    Decimal() read them as numbers, which no client means (API.md §1.2 notes)."""
    return not isinstance(data, str) or data.isascii()
