"""Serializers of the accounts API (API.md §3.1, §3.2, §9.1)."""
import copy
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from accounts.models import User, UserPreference
from itam.api import fields
from itam.api.serializers import ModelSerializer

PASSWORD_MAX = 128


class EmailField(fields.BlankAsNullMixin, serializers.EmailField):
    """An optional e-mail address; blank means null."""


class PasswordField(serializers.CharField):
    """Passwords are taken exactly as typed (never trimmed)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("max_length", PASSWORD_MAX)
        kwargs.setdefault("write_only", True)
        kwargs.setdefault("style", {"input_type": "password"})
        super().__init__(**kwargs)


def password_problems(password, user):
    """Every message of the configured password validators (length, similarity, common, digits)."""
    try:
        validate_password(password, user)
    except DjangoValidationError as exc:
        return list(exc.messages)
    return []


class UserSerializer(ModelSerializer):
    """The user object (§3.2). `username` is fixed after creation; an empty or null
    `password` on update leaves the password unchanged."""

    password = PasswordField(required=False, allow_null=True, allow_blank=True)
    email = EmailField(max_length=120, required=False, allow_null=True)
    created_at = fields.DateTimeField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "password", "display_name", "email", "role", "is_active", "created_at"]
        read_only_fields = ["id", "created_at"]

    def get_fields(self):
        declared = super().get_fields()
        if self.instance is None:
            password = declared["password"]
            password.required, password.allow_blank, password.allow_null = True, False, False
        else:
            declared["username"].read_only = True
        return declared

    def validate(self, attrs):
        password = attrs.pop("password", None)
        if password:
            # The similarity validator compares against the user as it will be saved.
            candidate = copy.copy(self.instance) if self.instance is not None else User()
            for name, value in attrs.items():
                setattr(candidate, name, value)
            problems = password_problems(password, candidate)
            if problems:
                raise serializers.ValidationError({"password": problems})
            attrs["password"] = password
        return attrs


class UserDirectorySerializer(serializers.ModelSerializer):
    """What any user may see of another: the user pickers' entries."""

    class Meta:
        model = User
        fields = ["id", "username", "display_name"]
        read_only_fields = fields


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=64)
    password = PasswordField(write_only=False)


class TokenPairSerializer(serializers.Serializer):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()


class LoginResultSerializer(TokenPairSerializer):
    user = UserSerializer()


class RefreshTokenBodySerializer(serializers.Serializer):
    """The refresh token of a refresh or logout body; ``refresh`` is an alias."""

    refresh_token = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    refresh = serializers.CharField(required=False, allow_blank=True, allow_null=True)

    def validate(self, attrs):
        return {"refresh_token": attrs.get("refresh_token") or attrs.get("refresh") or None}


class ChangePasswordSerializer(serializers.Serializer):
    old_password = PasswordField()
    new_password = PasswordField()

    def validate(self, attrs):
        user = self.context["request"].user
        errors = {}
        if not user.check_password(attrs["old_password"]):
            errors["old_password"] = ["Old password is incorrect."]
        problems = password_problems(attrs["new_password"], user)
        if problems:
            errors["new_password"] = problems
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RoundedIntegerField(fields.IntegerField):
    """A number rounded half up to an integer (259.5 -> 260); numeric strings accepted."""

    # Far outside any range this field is used with, small enough to round cheaply.
    CLAMP = Decimal(10**9)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float, str)):
            self.fail("invalid")
        if isinstance(data, str) and len(data) > self.MAX_STRING_LENGTH:
            self.fail("max_string_length")
        try:
            value = Decimal(str(data).strip())
        except InvalidOperation:
            self.fail("invalid")
        if not value.is_finite():
            self.fail("invalid")
        value = max(-self.CLAMP, min(self.CLAMP, value))
        return int(value.to_integral_value(rounding=ROUND_HALF_UP))


class PreferenceSerializer(ModelSerializer):
    panel_width = RoundedIntegerField(min_value=160, max_value=800, required=False)
    updated_at = fields.DateTimeField(read_only=True, allow_null=True)  # null until first saved

    class Meta:
        model = UserPreference
        fields = ["grouping_mode", "view_mode", "panel_width", "show_detail_bar", "updated_at"]
