from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac

from audit.history import history_records
from itam.text import refuse_control_characters

from .choices import GroupingMode, Role, ViewMode

username_validator = RegexValidator(
    r"^[A-Za-z][A-Za-z0-9_]{2,63}$",
    "Username must be 3-64 characters: a letter first, then letters, digits or _.",
)


class ITAMUserManager(UserManager):
    def get_by_natural_key(self, username):
        return self.get(**{self.model.USERNAME_FIELD: username})


class User(AbstractUser):
    """An ITAM account. ``role`` drives API permissions; admins are also Django staff."""

    username = models.CharField(max_length=64, unique=True, validators=[username_validator])
    display_name = models.CharField(max_length=64)
    email = models.EmailField(max_length=120, null=True, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.USER, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Every token issued before this instant is rejected (password change, deactivation)...
    tokens_valid_after = models.DateTimeField(null=True, blank=True, editable=False)
    # ...except the access token with this id: the one whose request changed the password,
    # kept as Django keeps the current session (``update_session_auth_hash``).
    kept_token_jti = models.CharField(max_length=64, null=True, blank=True, editable=False)

    # AbstractUser's name fields are not part of ITAM's model.
    first_name = None
    last_name = None

    objects = ITAMUserManager()
    history = history_records(excluded_fields=["last_login", "tokens_valid_after", "kept_token_jti"])

    REQUIRED_FIELDS = ["display_name"]

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_unique",
                condition=models.Q(email__isnull=False),
                violation_error_message="A user with this e-mail already exists.",
            ),
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid"),
        ]

    def __str__(self):
        return self.username

    @property
    def is_admin(self):
        return self.role == Role.ADMIN

    def _get_session_auth_hash(self, secret=None):
        # Django ends a session whose stored hash no longer matches the user's. Mixing in
        # tokens_valid_after makes every revocation of the user's tokens (password change,
        # deactivation, even if reactivated later) end their sessions too: API and admin alike.
        key_salt = "accounts.User.session_auth_hash"
        value = f"{self.password}\n{self.tokens_valid_after}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    def save(self, *args, **kwargs):
        # The admin role is what grants access to the Django admin.
        self.is_staff = self.is_superuser = self.role == Role.ADMIN
        if self.email == "":
            self.email = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "role" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_staff", "is_superuser"}
        super().save(*args, **kwargs)


class UserPreference(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="preference")
    grouping_mode = models.CharField(
        max_length=32, choices=GroupingMode.choices, default=GroupingMode.ENVIRONMENT_FIRST
    )
    view_mode = models.CharField(max_length=16, choices=ViewMode.choices, default=ViewMode.GRID)
    panel_width = models.PositiveIntegerField(
        "panel width (px)", default=260, validators=[MinValueValidator(160), MaxValueValidator(800)]
    )
    show_detail_bar = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "preferences"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(panel_width__gte=160, panel_width__lte=800), name="pref_panel_width_range"
            ),
        ]

    def __str__(self):
        return f"Preferences of {self.user}"


refuse_control_characters(User)
