"""boto3 clients, built once per container (Lambda cold start) and reused."""

from __future__ import annotations

from functools import cache

import boto3
from botocore.config import Config

from ..settings import BackendSettings

# Fail fast inside an API request (API Gateway gives up after 29 s) and let
# the SDK's standard retry mode absorb throttling.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)
_S3_CONFIG = _CONFIG.merge(Config(signature_version="s3v4"))  # SigV4 presigned URLs


@cache
def _session() -> boto3.session.Session:
    return boto3.session.Session()


def client(service: str, settings: BackendSettings):
    return _client(service, settings.aws_region, settings.aws_endpoint_url)


def client_for(service: str, region: str, endpoint_url: str | None):
    """A client of any AWS service in `region` (at `endpoint_url`, a local AWS, when given)."""
    return _client(service, region, endpoint_url)


@cache
def _client(service: str, region: str, endpoint_url: str | None):
    config = _S3_CONFIG if service == "s3" else _CONFIG
    return _session().client(service, region_name=region, endpoint_url=endpoint_url, config=config)


# A push is small and a subscriber is waiting: no long waits, one retry.
_PUSH_CONFIG = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=5)


@cache
def connections_client(region: str, endpoint_url: str, local: bool):
    """The WebSocket API's @connections endpoint; `local`: the devstack's emulation, which takes
    any credentials (the embedded backend has none of its own)."""
    credentials = {"aws_access_key_id": "local", "aws_secret_access_key": "local"} if local else {}
    return _session().client(
        "apigatewaymanagementapi", region_name=region, endpoint_url=endpoint_url, config=_PUSH_CONFIG, **credentials
    )
