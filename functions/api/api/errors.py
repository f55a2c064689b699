"""Domain errors -> HTTP status codes, as {"detail": "..."}; a 422 in FastAPI's list form."""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from algocloud import limits
from algocloud.domain.errors import (
    Conflict,
    DataFormatError,
    DomainError,
    InvalidName,
    NotFound,
    ParameterError,
    ServiceUnavailable,
    TierUnavailable,
)
from algocloud.domain.identity import Forbidden

logger = logging.getLogger(__name__)

STATUS = (
    (Forbidden, 403),
    (InvalidName, 422),
    (TierUnavailable, 422),
    (NotFound, 404),
    (Conflict, 409),
    (ParameterError, 400),
    (DataFormatError, 400),
    (DomainError, 400),
)


def echoable(value: Any) -> Any:
    """A refused input as JSON can carry it: NaN and the infinities (which Python's JSON parser
    accepts, `1e400` included) as their names, long text cut short."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str) and len(value) > limits.ECHO_LIMIT:
        return value[: limits.ECHO_LIMIT] + "…"
    if isinstance(value, dict):
        return {key: echoable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [echoable(item) for item in value]
    return value


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes each input; one that JSON cannot carry (NaN) made it a 500.
        return JSONResponse({"detail": echoable(jsonable_encoder(exc.errors()))}, status_code=422)

    @app.exception_handler(DomainError)
    async def domain_error(_request: Request, exc: DomainError) -> JSONResponse:
        status = next(code for kind, code in STATUS if isinstance(exc, kind))
        if isinstance(exc, InvalidName):  # shaped like the request validation errors, as documented
            location = ["body", *(exc.field.split(".") if exc.field else [])]
            return JSONResponse(
                {"detail": [{"type": "value_error", "loc": location, "msg": str(exc)}]}, status_code=status
            )
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(ServiceUnavailable)
    async def unavailable(_request: Request, exc: ServiceUnavailable) -> JSONResponse:
        logger.exception("dependency unavailable")
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "2"})
