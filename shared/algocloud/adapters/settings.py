"""Settings shared by both Lambdas, from environment variables (validated at start)."""

from __future__ import annotations

from functools import cache

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class AwsSettings(BaseSettings):
    """Where state lives. AWS_ENDPOINT_URL points every client at a local AWS (moto)."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore", frozen=True)

    table_name: str
    bucket_name: str
    queue_url: str
    aws_endpoint_url: str | None = None
    aws_region: str = "us-east-1"


def load_settings[T: BaseSettings](cls: type[T]) -> T:
    """Build settings, turning pydantic's error into one clear start-up message."""
    try:
        return cls()
    except ValidationError as exc:
        problems = ", ".join(
            f"{'_'.join(str(p) for p in error['loc']).upper()} ({error['msg'].lower()})"
            for error in exc.errors()
        )
        raise RuntimeError(f"configuration error: set the environment variables {problems}") from None


@cache
def aws_settings() -> AwsSettings:
    return load_settings(AwsSettings)
