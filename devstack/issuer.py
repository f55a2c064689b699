"""A local OpenID Connect provider for `make local ARGS="--auth"`: sign-in on this machine, spoken
the standard way, so the API, the clients and the browser frontend do exactly what they do with
Cognito, Auth0, Entra ID or Google.

Built on Authlib's authorization server (Flask): discovery document, JWKS, the authorization code
grant with PKCE (S256, required: the clients are public, with no secret), refresh tokens (rotated
at each use), JWT access tokens (RFC 9068: `iss`, `sub`, `aud` = the client id, `exp`, `email`)
and ID tokens. Its login page asks for an email address only: the users are the ones
`algocloud-admin users add EMAIL --tenant T --role R` made (their passwords are the one thing this
local stand-in leaves out). Its signing key and users live in `<state dir>/issuer/`, so
`algocloud-admin token EMAIL` can mint a token for scripts without it running.

Codes and refresh tokens live in memory: a restart of the stack signs everyone out.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

CLIENT_ID = "algocloud-local"  # the one public app client (the audience of every token)
LOCAL_TENANT = "local"  # the tenant `--auth` makes, for the users added to it
ACCESS_TOKEN_SECONDS = 900
REFRESH_TOKEN_SECONDS = 86400
CODE_SECONDS = 120
SCOPES = "openid email profile offline_access"


@dataclass(frozen=True)
class LocalUser:
    subject: str
    email: str

    def get_user_id(self) -> str:  # Authlib's user protocol
        return self.subject


class IssuerFiles:
    """The provider's signing key, its address and its users, in a folder (0600 files)."""

    def __init__(self, folder: Path):
        self.folder = folder

    @property
    def issuer(self) -> str:
        return str(json.loads((self.folder / "issuer.json").read_text())["issuer"])

    def create(self, issuer: str) -> None:
        """Make the folder for a provider at `issuer` (its key once; the address each start)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._write("issuer.json", {"issuer": issuer, "client_id": CLIENT_ID})
        if not (self.folder / "key.json").exists():
            from joserfc.jwk import RSAKey

            key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"}, private=True)
            key.ensure_kid()
            self._write("key.json", key.as_dict(private=True))

    def key_set(self) -> Any:
        from joserfc.jwk import KeySet

        return KeySet.import_key_set({"keys": [json.loads((self.folder / "key.json").read_text())]})

    def public_jwks(self) -> dict[str, Any]:
        return dict(self.key_set().as_dict(private=False))

    def add_user(self, email: str) -> LocalUser:
        email = email.strip().lower()
        if "@" not in email or len(email) > 254:
            raise ValueError(f"'{email}' is not an email address")
        with self._users() as users:
            subject = users.setdefault(email, str(uuid.uuid4()))  # a provider's stable, opaque id
        return LocalUser(subject, email)

    def find_user(self, email: str) -> LocalUser | None:
        with self._users() as users:
            subject = users.get(email.strip().lower())
        return None if subject is None else LocalUser(subject, email.strip().lower())

    def mint(self, user: LocalUser, lifetime: int = ACCESS_TOKEN_SECONDS) -> str:
        """An access token for `user`, as the token endpoint would issue it."""
        return str(
            TokenFactory(self, lifetime).access_token_generator(_PublicClient(), "authorization_code", user, SCOPES)
        )

    @contextmanager
    def _users(self):
        path = self.folder / "users.json"
        with open(self.folder / "users.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            users: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
            before = dict(users)
            yield users
            if users != before:
                self._write("users.json", users)

    def _write(self, name: str, value: Any) -> None:
        path = self.folder / name
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(value, indent=1))
        os.chmod(temporary, 0o600)
        temporary.replace(path)


def _loopback(uri: str) -> bool:
    """A native or local app's redirect (RFC 8252 §7.3): http on the loopback, any port."""
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in {"127.0.0.1", "localhost", "::1"} and not parts.fragment


class _PublicClient:
    """The one app client: public (PKCE, no secret), redirecting to the loopback."""

    def get_client_id(self) -> str:
        return CLIENT_ID

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in SCOPES.split())

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return _loopback(redirect_uri)

    def check_client_secret(self, client_secret: str) -> bool:
        return False

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "none"

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in {"authorization_code", "refresh_token"}


def TokenFactory(files: IssuerFiles, lifetime: int = ACCESS_TOKEN_SECONDS) -> Any:
    from authlib.oauth2.rfc9068 import JWTBearerTokenGenerator

    class Factory(JWTBearerTokenGenerator):
        def get_jwks(self) -> Any:
            return files.key_set()

        def get_extra_claims(self, client: Any, grant_type: str, user: LocalUser, scope: str) -> dict[str, Any]:
            return {"email": user.email} if user else {}

    return Factory(
        files.issuer,
        refresh_token_generator=lambda **_: secrets.token_urlsafe(32),
        expires_generator=lambda client, grant_type: lifetime,
    )


@dataclass
class _Code:
    code: str
    redirect_uri: str
    scope: str
    user: LocalUser
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: int = field(default_factory=lambda: int(time.time()))

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None

    def is_expired(self) -> bool:
        return time.time() - self.auth_time > CODE_SECONDS


@dataclass
class _Refresh:
    token: str
    scope: str
    user: LocalUser
    expires_at: float
    revoked: bool = False

    def check_client(self, client: Any) -> bool:
        return client.get_client_id() == CLIENT_ID

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int(self.expires_at - time.time())

    def is_expired(self) -> bool:
        return time.time() > self.expires_at

    def is_revoked(self) -> bool:
        return self.revoked

    def get_user(self) -> LocalUser:
        return self.user

    def get_client(self) -> _PublicClient:
        return _PublicClient()


LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in: algocloud (local)</title></head>
<body><main><h1>Sign in</h1><p>The local stack's sign-in: a user that <code>algocloud-admin users add</code> made.</p>
<form method="post"><label>Email <input type="email" name="email" id="email" required autofocus></label>
<button type="submit" id="sign-in">Sign in</button></form>{error}</main></body></html>"""


def issuer_app(files: IssuerFiles) -> Any:
    """The provider as a WSGI app (Flask)."""
    from authlib.integrations.flask_oauth2 import AuthorizationServer
    from authlib.oauth2.rfc6749 import grants
    from authlib.oauth2.rfc7636 import CodeChallenge
    from authlib.oidc.core import UserInfo
    from authlib.oidc.core.grants import OpenIDCode
    from flask import Flask, Response, jsonify, request

    app = Flask("algocloud-local-issuer")
    lock = threading.Lock()
    codes: dict[str, _Code] = {}
    refreshes: dict[str, _Refresh] = {}
    issuer = files.issuer

    class Code(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar = ["none"]

        def save_authorization_code(self, code: str, request: Any) -> None:
            data = request.payload.data
            with lock:
                codes[code] = _Code(code, data.get("redirect_uri"), request.payload.scope or "", request.user,
                                    data.get("nonce"), data.get("code_challenge"), data.get("code_challenge_method"))  # fmt: skip

        def query_authorization_code(self, code: str, client: Any) -> _Code | None:
            with lock:
                found = codes.get(code)
            return None if found is None or found.is_expired() else found

        def delete_authorization_code(self, authorization_code: _Code) -> None:
            with lock:
                codes.pop(authorization_code.code, None)

        def authenticate_user(self, authorization_code: _Code) -> LocalUser:
            return authorization_code.user

    class Refresh(grants.RefreshTokenGrant):
        TOKEN_ENDPOINT_AUTH_METHODS: ClassVar = ["none"]
        INCLUDE_NEW_REFRESH_TOKEN = True

        def authenticate_refresh_token(self, refresh_token: str) -> _Refresh | None:
            with lock:
                found = refreshes.get(refresh_token)
            return None if found is None or found.is_expired() or found.revoked else found

        def authenticate_user(self, refresh_token: _Refresh) -> LocalUser | None:
            return files.find_user(refresh_token.user.email)  # a removed user cannot refresh

        def revoke_old_credential(self, refresh_token: _Refresh) -> None:
            refresh_token.revoked = True

    class IdToken(OpenIDCode):
        def resolve_client_private_key(self, client: Any) -> Any:
            return files.key_set()

        def get_client_claims(self, client: Any) -> dict[str, Any]:
            return {"iss": issuer, "aud": [CLIENT_ID]}

        def generate_user_info(self, user: LocalUser, scope: str) -> UserInfo:
            return UserInfo(sub=user.subject, email=user.email, email_verified=True)

    def save_token(token: dict[str, Any], request: Any) -> None:
        if "refresh_token" in token:
            with lock:
                refreshes[token["refresh_token"]] = _Refresh(
                    token["refresh_token"], token.get("scope", ""), request.user, time.time() + REFRESH_TOKEN_SECONDS
                )

    server = AuthorizationServer(app, query_client=lambda client_id: _PublicClient() if client_id == CLIENT_ID else None,
                                 save_token=save_token)  # fmt: skip
    server.register_token_generator("default", TokenFactory(files))
    server.register_grant(Code, [CodeChallenge(required=True), IdToken(require_nonce=False)])
    server.register_grant(Refresh)

    @app.get("/.well-known/openid-configuration")
    def discovery() -> Response:
        return jsonify(
            issuer=issuer,
            authorization_endpoint=f"{issuer}/authorize",
            token_endpoint=f"{issuer}/token",
            jwks_uri=f"{issuer}/jwks.json",
            response_types_supported=["code"],
            grant_types_supported=["authorization_code", "refresh_token"],
            subject_types_supported=["public"],
            id_token_signing_alg_values_supported=["RS256"],
            code_challenge_methods_supported=["S256"],
            token_endpoint_auth_methods_supported=["none"],
            scopes_supported=SCOPES.split(),
        )

    @app.get("/jwks.json")
    def jwks() -> Response:
        return jsonify(files.public_jwks())

    @app.route("/authorize", methods=["GET", "POST"])
    def authorize() -> Any:
        from authlib.oauth2 import OAuth2Error

        try:
            grant = server.get_consent_grant(end_user=None)  # the request is checked before any page
        except OAuth2Error as error:
            return jsonify(error=error.error, error_description=error.description), 400
        # the form posts back to this address, the authorization request's query string and all
        if request.method == "GET":
            return LOGIN_PAGE.format(error="")
        user = files.find_user(request.form.get("email", ""))
        if user is None:
            return LOGIN_PAGE.format(error='<p role="alert">No such user on this stack.</p>'), 401
        return server.create_authorization_response(grant=grant, grant_user=user)

    @app.post("/token")
    def token() -> Any:
        return server.create_token_response()

    @app.after_request
    def cors(response: Response) -> Response:  # the browser frontend calls the token endpoint
        response.headers["Access-Control-Allow-Origin"] = request.headers.get("Origin", "*")
        response.headers["Access-Control-Allow-Headers"] = "content-type"
        response.headers["Vary"] = "Origin"
        return response

    return app


def serve_issuer(files: IssuerFiles, port: int) -> Any:
    """The provider on 127.0.0.1:`port`, on a thread (werkzeug); `.shutdown()` stops it."""
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    server = make_server("127.0.0.1", port, issuer_app(files), threaded=True)
    threading.Thread(target=server.serve_forever, name="issuer", daemon=True).start()
    return server


def start_local_signin(folder: Path, port: int, operator: Any) -> tuple[Any, dict[str, str]]:
    """`--auth`: the provider on `port`, with its files in `folder`, and the tenant "local" its users
    join by default; answers the server and the API's environment that trusts the provider."""
    files = IssuerFiles(folder)
    url = f"http://127.0.0.1:{port}"
    files.create(url)
    if operator.accounts.find_tenant(LOCAL_TENANT) is None:
        operator.create_tenant(LOCAL_TENANT)
    environment = {"OIDC_ISSUER": url, "OIDC_AUDIENCE": CLIENT_ID, "OIDC_JWKS_URL": f"{url}/jwks.json"}
    return serve_issuer(files, port), environment


def signin_lines(folder: Path, port: int) -> str:
    return (
        f"\n  sign-in    http://127.0.0.1:{port} (the local OpenID Connect provider; client id {CLIENT_ID}); "
        f"add people with `algocloud-admin users add EMAIL --tenant {LOCAL_TENANT} --role editor`, "
        "then `algocloud-admin token EMAIL` or `algocloud login`"
    )
