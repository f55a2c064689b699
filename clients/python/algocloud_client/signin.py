"""Signing a person in from the terminal, as `gcloud auth login` and `aws sso login` do: the
browser opens on the provider's page and comes back to a loopback address (the authorization code
grant with PKCE: RFC 8252's native-app flow, no client secret), and the tokens are kept in the
user's config folder (0600), refreshed when they expire, forgotten at logout.

The API says which provider and app client to use: its OpenAPI document's `SignIn` security
scheme (the discovery URL, and `x-client-id`). Authlib speaks OAuth 2.0 for us.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx

LOOPBACK_PORT = 8765  # the port the deployment's app client lists as a callback
SCOPE = "openid email profile"
REFRESH_MARGIN_SECONDS = 60


class SignInError(Exception):
    pass


def credentials_file() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "algocloud" / "credentials.json"


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    authorization_endpoint: str
    token_endpoint: str


def provider_of(api_url: str, http: httpx.Client | None = None) -> Provider | None:
    """The sign-in provider the API names (None: it asks for no sign-in)."""
    http = http or httpx.Client(timeout=10)
    root = api_url.rstrip("/").rsplit("/api/", 1)[0]
    schemes = (
        http.get(f"{root}/openapi.json").raise_for_status().json().get("components", {}).get("securitySchemes", {})
    )
    scheme = schemes.get("SignIn")
    if not scheme or scheme.get("type") != "openIdConnect":
        return None
    discovery = http.get(scheme["openIdConnectUrl"]).raise_for_status().json()
    return Provider(
        discovery["issuer"], scheme["x-client-id"], discovery["authorization_endpoint"], discovery["token_endpoint"]
    )


def login(
    api_url: str,
    port: int = LOOPBACK_PORT,
    open_browser: bool = True,
    announce: Callable[[str], None] = print,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """Sign in for `api_url` and keep the tokens; answers what was kept (the access token's claims
    are the API's business: `GET /me` says who you are there)."""
    from authlib.common.security import generate_token

    OAuth2Client = _oauth2_client()
    provider = provider_of(api_url)
    if provider is None:
        raise SignInError("this API asks for no sign-in (use an API key, or nothing)")
    redirect_uri = f"http://127.0.0.1:{port}/callback"
    oauth = OAuth2Client(
        provider.client_id,
        token_endpoint_auth_method="none",
        redirect_uri=redirect_uri,
        scope=SCOPE,
        code_challenge_method="S256",
    )
    verifier = generate_token(64)
    url, state = oauth.create_authorization_url(provider.authorization_endpoint, code_verifier=verifier)
    callback = _one_callback(port)
    announce(f"Sign in in your browser: {url}")
    if open_browser:
        webbrowser.open(url)
    answer = callback.wait(timeout)
    if "code=" not in answer:
        raise SignInError(f"the sign-in did not complete: {answer[:200]}")
    token = oauth.fetch_token(
        provider.token_endpoint,
        authorization_response=f"{redirect_uri}?{answer}",
        code_verifier=verifier,
        state=state,
    )
    return _keep(api_url, provider, dict(token))


def sign_in_and_say_who(api_url: str, port: int, open_browser: bool, tenant: str | None) -> str:
    """`algocloud login`: sign in, then who the API says you are (or why it cannot say)."""
    from ._flows import ApiError
    from .client import Client

    login(api_url, port, open_browser, announce=lambda line: print(line, file=sys.stderr, flush=True))
    try:
        me = Client(api_url, token_provider=stored_tokens(api_url), tenant=tenant).me()
    except ApiError as exc:  # a person in several tenants (400), or in none here (401)
        return f"signed in; {exc.detail}"
    return f"signed in as {me.email or me.subject}: {me.role} of {me.tenant}"


def stored_tokens(api_url: str) -> Callable[[], str] | None:
    """A token provider for `Client(token_provider=…)` from what `login` kept for `api_url`
    (refreshed when it is about to expire), or None when nobody signed in for it."""
    if _load().get(api_url.rstrip("/")) is None:
        return None

    def provide() -> str:
        entry = _load()[api_url.rstrip("/")]
        if entry["expires_at"] - REFRESH_MARGIN_SECONDS > time.time():
            return str(entry["access_token"])
        if not entry.get("refresh_token"):
            raise SignInError("the sign-in expired: run `algocloud login` again")
        from authlib.integrations.base_client import OAuthError

        oauth = _oauth2_client()(entry["client_id"], token_endpoint_auth_method="none")
        try:
            token = oauth.refresh_token(entry["token_endpoint"], refresh_token=entry["refresh_token"])
        except (OAuthError, httpx.HTTPError) as exc:  # refused (signed out there, or expired), or unreachable
            raise SignInError(f"the sign-in could not be renewed ({exc}): run `algocloud login` again") from None
        provider = Provider(entry["issuer"], entry["client_id"], "", entry["token_endpoint"])
        return str(_keep(api_url, provider, {"refresh_token": entry["refresh_token"], **dict(token)})["access_token"])

    return provide


def _oauth2_client() -> Any:
    """Authlib's OAuth 2.0 client over httpx (its import warns that it would rather have httpx2)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from authlib.integrations.httpx_client import OAuth2Client
    return OAuth2Client


def logout(api_url: str) -> bool:
    """Forget the tokens kept for `api_url` (False: there were none)."""
    entries = _load()
    found = entries.pop(api_url.rstrip("/"), None) is not None
    _save(entries)
    return found


def _keep(api_url: str, provider: Provider, token: dict[str, Any]) -> dict[str, Any]:
    entry = {
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "token_endpoint": provider.token_endpoint,
        "access_token": token["access_token"],
        "refresh_token": token.get("refresh_token"),
        "expires_at": float(token.get("expires_at") or time.time() + float(token.get("expires_in", 300))),
    }
    entries = _load()
    entries[api_url.rstrip("/")] = entry
    _save(entries)
    return entry


def _load() -> dict[str, Any]:
    path = credentials_file()
    return dict(json.loads(path.read_text())) if path.exists() else {}


def _save(entries: dict[str, Any]) -> None:
    path = credentials_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # never readable by others
    with os.fdopen(descriptor, "w") as file:
        json.dump(entries, file, indent=1)
    temporary.replace(path)


class _Callback:
    def __init__(self, server: HTTPServer):
        self.server, self.query, self.arrived = server, "", threading.Event()

    def wait(self, timeout: float) -> str:
        arrived = self.arrived.wait(timeout)
        self.server.shutdown()
        self.server.server_close()
        if not arrived:
            raise SignInError(f"no sign-in came back within {timeout:g} s")
        return self.query


def _one_callback(port: int) -> _Callback:
    """A loopback server that takes the provider's redirect (the code and state), once."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            if path != "/callback":
                self.send_error(404)
                return
            callback.query = query
            callback.arrived.set()
            body = b"<!doctype html><title>algocloud</title><p>Signed in. You can close this tab.</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = HTTPServer(("127.0.0.1", port), Handler)
    callback = _Callback(server)
    threading.Thread(target=server.serve_forever, name="signin-callback", daemon=True).start()
    return callback
