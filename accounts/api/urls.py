"""Routes of the accounts API; every route answers with and without a trailing slash."""
from django.urls import re_path

from itam.api.routing import OptionalSlashRouter

from . import views

router = OptionalSlashRouter()
router.register("users", views.UserViewSet, basename="user")

urlpatterns = [
    re_path(r"^auth/login/?$", views.LoginView.as_view(), name="auth-login"),
    re_path(r"^auth/refresh/?$", views.RefreshView.as_view(), name="auth-refresh"),
    re_path(r"^auth/logout/?$", views.LogoutView.as_view(), name="auth-logout"),
    re_path(r"^auth/me/?$", views.MeView.as_view(), name="auth-me"),
    re_path(r"^auth/change-password/?$", views.ChangePasswordView.as_view(), name="auth-change-password"),
    re_path(r"^user/preferences/?$", views.PreferencesView.as_view(), name="user-preferences"),
    *router.urls,
]
