"""API settings from environment variables, validated once at start."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from algocloud import limits
from algocloud.adapters.settings import BackendSettings, load_settings


class ApiSettings(BackendSettings):
    """The backend's settings (see BackendSettings) and the HTTP layer's own."""

    api_prefix: str = "/api/v1"
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()  # CORS_ORIGINS: comma-separated, or *
    allow_session_create: bool = True  # ALLOW_SESSION_CREATE: false -> POST /sessions and copy are 403
    require_api_key: bool = False  # REQUIRE_API_KEY: tenant = the tenant of the API key API Gateway accepted
    # Sign-in (api.signin): OIDC_ISSUER (the provider's `iss`) turns it on; OIDC_AUDIENCE is the
    # app client's id (or API identifier) tokens must be for; OIDC_JWKS_URL skips discovery.
    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_client_id: str | None = (
        None  # OIDC_CLIENT_ID: the public app client people sign in with (default: the audience)
    )
    # API_PUBLIC_URL: the API's address as clients reach it, stage included (links are built on it);
    # unset: API Gateway's own domain and stage on AWS, PUBLIC_URL embedded
    api_public_url: str | None = None
    # Largest request and response bodies, in bytes as the client sends and receives them.
    # Unset: what the hosting allows (see request_limit / response_limit).
    max_request_bytes: int | None = None
    # BODY_READ_TIMEOUT_SECONDS: the embedded server's wait for the next piece of a request body
    body_read_timeout_seconds: float = Field(limits.BODY_READ_TIMEOUT_SECONDS, gt=0)
    max_response_bytes: int | None = None

    @property
    def sign_in(self) -> bool:
        return bool(self.oidc_issuer)

    @property
    def anonymous_allowed(self) -> bool:
        """No credentials asked: the reference contract's open deployment."""
        return not (self.require_api_key or self.sign_in)

    @model_validator(mode="after")
    def _audience_with_issuer(self) -> ApiSettings:
        if self.oidc_issuer and not self.oidc_audience:
            raise ValueError("OIDC_ISSUER needs OIDC_AUDIENCE: the app client id tokens must be issued for")
        return self

    @property
    def request_limit(self) -> int:
        return self.max_request_bytes or _default_limit(self.on_lambda)

    @property
    def response_limit(self) -> int:
        return self.max_response_bytes or _default_limit(self.on_lambda)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value):
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value


def _default_limit(on_lambda: bool) -> int:
    return limits.LAMBDA_BODY_LIMIT if on_lambda else limits.EMBEDDED_BODY_LIMIT


@cache
def get_settings() -> ApiSettings:
    return load_settings(ApiSettings)
