from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .authentication import stamp_session

        user_logged_in.connect(stamp_session, dispatch_uid="itam_stamp_session")
