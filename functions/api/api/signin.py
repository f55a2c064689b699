"""Sign-in with an OpenID Connect provider: a bearer JWT checked with PyJWT against the provider's
published keys (JWKS), the same way in the API (process hosting) and in the Lambda authorizer.

Only asymmetric signatures are accepted (RS256, ES256): `alg: none` and HS256 (a token "signed"
with the provider's public key as an HMAC secret) never reach a key. Issuer, audience, expiry and
not-before are checked with a small leeway; the `kid` is looked up in the JWKS, which is cached and
fetched again for an unknown `kid` at most once per cooldown (so random kids cannot make us hammer
the provider). The audience is the token's `aud`, or its `client_id` where the provider leaves `aud`
out of access tokens (Cognito).
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jwt

    from .settings import ApiSettings

logger = logging.getLogger(__name__)

ALGORITHMS = ["RS256", "ES256"]
LEEWAY_SECONDS = 30
JWKS_LIFESPAN_SECONDS = 300  # a rotated key is picked up within this, or at once on its unknown kid
JWKS_COOLDOWN_SECONDS = 30  # between fetches forced by an unknown kid
MAX_TOKEN_CHARS = 8192
REMEMBERED_TOKENS = 1024


class TokenRejected(Exception):
    """The bearer token is not one this deployment accepts (401); `reason` says why, for the log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claims:
    issuer: str
    subject: str
    email: str | None
    expires_at: int


class TokenVerifier:
    """Checks tokens, and remembers the ones it accepted until they expire (at most
    REMEMBERED_TOKENS of them, the way API Gateway keeps an authorizer's answer per token): a
    person's next requests skip the signature check. Membership is not remembered: it is read on
    every request."""

    def __init__(self, issuer: str, audience: str, jwks_url: str | None = None, leeway: int = LEEWAY_SECONDS):
        self.issuer, self.audience, self.leeway = issuer, audience, leeway
        self._jwks_url = jwks_url
        self._accepted: dict[str, Claims] = {}

    def remembered(self, token: str) -> Claims | None:
        """The claims of a token accepted before and not expired since (no I/O, no signature check)."""
        claims = self._accepted.get(token)
        if claims is None or claims.expires_at + self.leeway < time.time():
            return None
        return claims

    @cached_property
    def _keys(self) -> jwt.PyJWKClient:
        import jwt  # with cryptography: only where sign-in is on (cold start)

        url = self._jwks_url or discover(self.issuer)["jwks_uri"]
        return jwt.PyJWKClient(url, lifespan=JWKS_LIFESPAN_SECONDS, cooldown_duration=JWKS_COOLDOWN_SECONDS, timeout=5)

    def verify(self, token: str) -> Claims:
        import jwt

        if len(token) > MAX_TOKEN_CHARS:
            raise TokenRejected("the token is too long")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise TokenRejected("not a JSON Web Token") from None
        if header.get("alg") not in ALGORITHMS:
            raise TokenRejected(f"algorithm {str(header.get('alg'))[:20]!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise TokenRejected("the token names no key (kid)")
        try:
            key = self._keys.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError:
            logger.exception("the provider's keys could not be fetched")
            raise TokenRejected("the provider's keys could not be fetched") from None
        except jwt.PyJWKClientError:
            raise TokenRejected(f"unknown key id {kid[:40]!r}") from None
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[key.algorithm_name] if key.algorithm_name in ALGORITHMS else ALGORITHMS,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except jwt.InvalidTokenError as exc:
            raise TokenRejected(f"{type(exc).__name__}: {exc}"[:200]) from None
        audience = claims.get("aud")
        audiences = audience if isinstance(audience, list) else [audience] if audience is not None else []
        if self.audience not in audiences and not (audience is None and claims.get("client_id") == self.audience):
            raise TokenRejected("the token is for another audience")
        email = claims.get("email")
        accepted = Claims(
            self.issuer, str(claims["sub"]), email if isinstance(email, str) else None, int(claims["exp"])
        )
        if len(self._accepted) >= REMEMBERED_TOKENS:
            self._accepted.clear()  # simpler than an LRU, and as safe: a forgotten token is checked again
        self._accepted[token] = accepted
        return accepted


@cache
def verifier_for(settings: ApiSettings) -> TokenVerifier:
    """The deployment's one verifier (the API's and the Lambda authorizer's): built once, so the
    provider's keys and the accepted tokens it remembers are shared by every request."""
    assert settings.oidc_issuer and settings.oidc_audience, "OIDC_ISSUER and OIDC_AUDIENCE are not set"
    return TokenVerifier(settings.oidc_issuer, settings.oidc_audience, settings.oidc_jwks_url)


def discover(issuer: str) -> dict[str, Any]:
    """The provider's discovery document (OpenID Connect Discovery 1.0)."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    with urllib.request.urlopen(url, timeout=5) as answer:
        document: dict[str, Any] = json.load(answer)
    return document


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header (None for any other scheme or none)."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def is_jwt(token: str) -> bool:
    """A JSON Web Token's shape (three dot-separated parts); an API key has no dots."""
    return token.count(".") == 2
