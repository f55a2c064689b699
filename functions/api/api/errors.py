"""Domain errors -> HTTP status codes, as {"detail": "..."}; a 422 in FastAPI's list form."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from algocloud.domain.errors import (
    Conflict,
    DataFormatError,
    DomainError,
    InvalidName,
    NotFound,
    ParameterError,
)
from algocloud.service import ServiceUnavailable

logger = logging.getLogger(__name__)

STATUS = (
    (InvalidName, 422),
    (NotFound, 404),
    (Conflict, 409),
    (ParameterError, 400),
    (DataFormatError, 400),
    (DomainError, 400),
)


def install(app: FastAPI) -> None:
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
