"""Forged, tampered and misused JWTs are all refused with the 401 envelope (API.md §1.4, §1.8).

Tokens are built by hand with PyJWT, the way an attacker would, starting from the claims
of a real token so that each case differs from a valid one in exactly one respect.
"""
import base64
import json
import time

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from conftest import token_for

pytestmark = pytest.mark.django_db


def b64(data):
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_of(token):
    return jwt.decode(token, settings.JWT_SECRET_KEY, algorithms=["HS256"])


def real_claims(user):
    return claims_of(token_for(user))


def signed(claims, key=None, algorithm="HS256"):
    return jwt.encode(claims, key or settings.JWT_SECRET_KEY, algorithm=algorithm)


def unsigned(claims, alg="none"):
    return f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}."


def with_payload(token, claims):
    """Keep the genuine header and signature, swap in other claims."""
    header, _, signature = token.split(".")
    return f"{header}.{b64(claims)}.{signature}"


def shifted(user, **changes):
    claims = real_claims(user)
    claims.update(changes)
    return claims


FORGERIES = {
    "alg none": lambda user, admin: unsigned(real_claims(user)),
    "alg None, admin claims": lambda user, admin: unsigned(real_claims(admin), alg="None"),
    "alg none with a signature kept": lambda user, admin: unsigned(real_claims(user)) + token_for(user).split(".")[2],
    "wrong key": lambda user, admin: signed(real_claims(user), key="not-the-key-" * 5),
    "signed with SECRET_KEY instead of JWT_SECRET_KEY": lambda user, admin: signed(real_claims(user), key=settings.SECRET_KEY),
    "HS512 with the right key": lambda user, admin: signed(real_claims(user), algorithm="HS512"),
    "refresh token used as access token": lambda user, admin: str(RefreshToken.for_user(user)),
    "token_type changed to refresh": lambda user, admin: signed(shifted(user, token_type="refresh")),
    "expired": lambda user, admin: signed(shifted(user, iat=int(time.time()) - 7200, exp=int(time.time()) - 60)),
    "not valid yet (nbf)": lambda user, admin: signed(shifted(user, nbf=int(time.time()) + 3600)),
    "tampered user_id, genuine signature": lambda user, admin: with_payload(token_for(user), shifted(user, user_id=str(admin.pk))),
    "tampered exp, genuine signature": lambda user, admin: with_payload(token_for(user), shifted(user, exp=int(time.time()) + 10**8)),
    "signature stripped": lambda user, admin: token_for(user).rsplit(".", 1)[0] + ".",
    "signature of another token": lambda user, admin: token_for(user).rsplit(".", 1)[0] + "." + token_for(admin).split(".")[2],
    "unknown user": lambda user, admin: signed(shifted(user, user_id="987654321")),
    "user_id not a number": lambda user, admin: signed(shifted(user, user_id="1 OR 1=1")),
    "no user_id": lambda user, admin: signed({k: v for k, v in real_claims(user).items() if k != "user_id"}),
    "no token_type": lambda user, admin: signed({k: v for k, v in real_claims(user).items() if k != "token_type"}),
    "no exp": lambda user, admin: signed({k: v for k, v in real_claims(user).items() if k != "exp"}),
    "payload not JSON": lambda user, admin: f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(b'not json')}.abc",
    "two segments": lambda user, admin: ".".join(token_for(user).split(".")[:2]),
    "garbage": lambda user, admin: "abc",
    "huge garbage": lambda user, admin: "A" * 6000,
    "non-ASCII": lambda user, admin: "tökén.ünïcode.sïg",
}


def assert_refused(response):
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "data"}
    assert body["code"] == 401 and body["data"] is None
    assert body["message"].endswith(".") and len(body["message"]) > 5
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("forge", FORGERIES.values(), ids=FORGERIES.keys())
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the HS512 forgery's
def test_forged_access_token_is_refused(client, normal_user, admin_user, forge):
    token = forge(normal_user, admin_user)
    assert_refused(client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}"))
    # A forged token must not get at admin data either (no 403 leak of a half-accepted user).
    assert_refused(client.get("/api/users", HTTP_AUTHORIZATION=f"Bearer {token}"))


def test_the_unforged_token_works(client, normal_user):
    """Control: the real token from which the forgeries are built is accepted."""
    response = client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token_for(normal_user)}")
    assert response.status_code == 200
    assert response.json()["data"]["username"] == normal_user.username


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer a b", "bearer", "JWT x.y.z", "Basic YWRtaW46YWRtaW4xMjM="],
)
def test_malformed_authorization_header_is_refused(client, normal_user, header):
    response = client.get("/api/auth/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] == 401


def test_token_of_deactivated_user_is_refused(client, normal_user):
    token = token_for(normal_user)
    normal_user.is_active = False
    normal_user.save()
    assert_refused(client.get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}"))


@pytest.mark.parametrize(
    "forge",
    [
        lambda user: str(RefreshToken.for_user(user).access_token),  # access token as refresh
        lambda user: unsigned(claims_of(str(RefreshToken.for_user(user)))),
        lambda user: signed(claims_of(str(RefreshToken.for_user(user))), key="not-the-key-" * 5),
        lambda user: signed({**claims_of(str(RefreshToken.for_user(user))), "exp": int(time.time()) - 1}),
    ],
    ids=["access as refresh", "alg none", "wrong key", "expired"],
)
def test_forged_refresh_token_is_refused(client, normal_user, forge):
    token = forge(normal_user)
    in_body = client.post("/api/auth/refresh", {"refresh_token": token}, content_type="application/json")
    in_header = client.post("/api/auth/refresh", {}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    for response in (in_body, in_header):
        assert response.status_code == 401
        assert response.json()["code"] == 401 and response.json()["data"] is None
