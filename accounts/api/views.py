"""Accounts API: authentication (§3.1), users (§3.2), preferences (§9.1).

Views translate HTTP to ``accounts.services`` calls; rules live there.
"""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.authentication import AccessToken
from accounts.models import User, UserPreference
from accounts.throttling import LoginRateThrottle
from itam.access import is_admin
from itam.api.parsers import JSONParser
from itam.api.permissions import IsAdmin
from itam.api.viewsets import ResourceViewSet

from . import serializers
from .filters import DirectoryFilterSet, UserFilterSet


def respond(data, message):
    response = Response(data)
    response.message = message
    return response


# --- authentication -----------------------------------------------------------------------

class PublicView(APIView):
    """Reachable without credentials; a stray Authorization header is not checked. JSON
    bodies only: a cross-site HTML form cannot post JSON, so it cannot log a browser in to
    someone else's session (login CSRF)."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser]


class LoginView(PublicView):
    throttle_classes = [LoginRateThrottle]

    @extend_schema(
        operation_id="auth_login",
        tags=["auth"],
        request=serializers.LoginSerializer,
        responses={200: serializers.LoginResultSerializer},
        summary="Log in: a token pair and a browser session",
    )
    def post(self, request):
        credentials = serializers.LoginSerializer(data=request.data, context={"request": request})
        credentials.is_valid(raise_exception=True)
        user, tokens = services.login(request._request, **credentials.validated_data)
        return respond({**tokens, "user": serializers.UserSerializer(user).data}, "Login successful.")


class RefreshView(PublicView):
    @extend_schema(
        operation_id="auth_refresh",
        tags=["auth"],
        request=serializers.RefreshTokenBodySerializer,
        responses={200: serializers.TokenPairSerializer},
        summary="Exchange a refresh token (header or body) for a new pair",
        description="`Authorization: Bearer <refresh_token>` wins over the body. The presented token is revoked.",
    )
    def post(self, request):
        body = serializers.RefreshTokenBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        raw = self.bearer_token(request) or body.validated_data["refresh_token"]
        if not raw:
            raise ValidationError({"refresh_token": ["This field is required."]})
        return respond(services.rotate_refresh_token(raw), "Token refreshed.")

    @staticmethod
    def bearer_token(request):
        scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class LogoutView(APIView):
    @extend_schema(
        operation_id="auth_logout",
        tags=["auth"],
        request=serializers.RefreshTokenBodySerializer,
        responses={200: None},
        summary="Revoke this access token (and the given refresh token); end the session",
    )
    def post(self, request):
        body = serializers.RefreshTokenBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        access = request.auth if isinstance(request.auth, AccessToken) else None
        services.logout(request._request, request.user, access, body.validated_data["refresh_token"])
        return respond(None, "Logged out.")


class MeView(APIView):
    @extend_schema(operation_id="auth_me", tags=["auth"], responses={200: serializers.UserSerializer})
    def get(self, request):
        return respond(serializers.UserSerializer(request.user).data, "success")


class ChangePasswordView(APIView):
    @extend_schema(
        operation_id="auth_change_password",
        tags=["auth"],
        request=serializers.ChangePasswordSerializer,
        responses={200: serializers.TokenPairSerializer},
        summary="Change the password; every other token and session of the user stops working",
    )
    def post(self, request):
        change = serializers.ChangePasswordSerializer(data=request.data, context={"request": request})
        change.is_valid(raise_exception=True)
        tokens = services.change_password(
            request.user, change.validated_data["new_password"], http_request=request._request, access_token=request.auth
        )
        return respond(tokens, "Password changed.")


# --- preferences --------------------------------------------------------------------------

@extend_schema_view(
    put=extend_schema(operation_id="user_preferences_update"),
    patch=extend_schema(operation_id="user_preferences_partial_update"),
)
@extend_schema(tags=["preferences"], request=serializers.PreferenceSerializer, responses={200: serializers.PreferenceSerializer})
class PreferencesView(APIView):
    """The caller's own UI preferences; defaults (``updated_at: null``) until first saved."""

    @extend_schema(operation_id="user_preferences_retrieve", request=None)
    def get(self, request):
        preference = UserPreference.objects.filter(user=request.user).first() or UserPreference(user=request.user)
        return respond(serializers.PreferenceSerializer(preference).data, "success")

    def put(self, request):
        values = serializers.PreferenceSerializer(data=request.data, partial=True, context={"request": request})
        values.is_valid(raise_exception=True)
        preference = services.save_preferences(request.user, values.validated_data)
        return respond(serializers.PreferenceSerializer(preference).data, "Preferences saved.")

    def patch(self, request):
        return self.put(request)


# --- users --------------------------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(
        description="Admins get full user objects; a caller with role `user` gets the directory form "
        "(active users, `id`, `username`, `display_name`; `role`/`is_active` ignored).",
        responses={200: {"anyOf": [{"$ref": "#/components/schemas/User"}, {"$ref": "#/components/schemas/UserDirectory"}]}},
    ),
)
@extend_schema(tags=["users"])
class UserViewSet(ResourceViewSet):
    queryset = User.objects.all()
    serializer_class = serializers.UserSerializer

    def get_permissions(self):
        # Any user may list (directory form) and read the options route, whatever the method:
        # a wrong method there is a 405, on the admin routes a 403 (§1.4).
        if self.action == "list" or set(self.action_map.values()) == {"user_options"}:
            return [permissions.IsAuthenticated()]
        return [IsAdmin()]

    @property
    def directory_only(self):
        if getattr(self, "swagger_fake_view", False):
            return False  # the schema documents the admin's filters
        return self.action == "list" and not is_admin(self.request.user)

    @property
    def filterset_class(self):
        return DirectoryFilterSet if self.directory_only else UserFilterSet

    def get_queryset(self):
        return User.objects.filter(is_active=True) if self.directory_only else super().get_queryset()

    def read_plan_scope(self):
        return (self.directory_only,)

    def get_serializer_class(self):
        return serializers.UserDirectorySerializer if self.directory_only else super().get_serializer_class()

    def get_object(self):
        if self.request.method not in permissions.SAFE_METHODS:
            services.lock_active_admins()  # before the target row: see lock_active_admins
        return super().get_object()

    def perform_create(self, serializer):
        serializer.instance = services.create_user(serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.update_user(serializer.instance, serializer.validated_data)

    def perform_destroy(self, instance):
        services.delete_user(instance, actor=self.request.user)

    @extend_schema(
        operation_id="users_options",
        responses={200: serializers.UserDirectorySerializer(many=True)},
        parameters=[],
        summary="Active users for pickers, by display name",
    )
    @action(detail=False, methods=["get"], url_path="options", url_name="options", pagination_class=None, filter_backends=[])
    def user_options(self, request):
        users = User.objects.filter(is_active=True).order_by("display_name", "id")
        return Response(serializers.UserDirectorySerializer(users, many=True).data)
