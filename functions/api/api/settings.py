"""API settings from environment variables, validated once at start."""

from __future__ import annotations

from functools import cache
from typing import Annotated

from pydantic import field_validator
from pydantic_settings import NoDecode

from algocloud.adapters.settings import BackendSettings, load_settings

LAMBDA_PAYLOAD_LIMIT = 6 * 1024 * 1024


class ApiSettings(BackendSettings):
    """The backend's settings (see BackendSettings) and the HTTP layer's own."""

    api_prefix: str = "/api/v1"
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()  # CORS_ORIGINS: comma-separated, or *
    allow_session_create: bool = True  # ALLOW_SESSION_CREATE: false -> POST /sessions and copy are 403
    require_api_key: bool = False  # REQUIRE_API_KEY: tenant = API Gateway API key id
    # Lambda's request and response payloads are 6 MB each, the envelope included.
    max_request_bytes: int = LAMBDA_PAYLOAD_LIMIT - 64 * 1024
    max_response_bytes: int = LAMBDA_PAYLOAD_LIMIT - 64 * 1024
    # Results inlined in one scenario list, before gzip (JSON results compress
    # well over 5x); past it, list entries link to their scenario instead.
    list_inline_result_bytes: int = 4 * LAMBDA_PAYLOAD_LIMIT

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value):
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value


@cache
def get_settings() -> ApiSettings:
    return load_settings(ApiSettings)
