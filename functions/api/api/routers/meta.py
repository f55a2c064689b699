from fastapi import APIRouter, Response

from .. import models, presenters
from ..deps import Caller, Scope, SessionsUseCases
from ..responses import OrjsonResponse

router = APIRouter(tags=["meta"])
root = APIRouter(tags=["meta"])  # what is also served outside the prefix: health, as the reference has it


@router.get("/health", response_model=models.Health, summary="Liveness probe: title and session display names")
def health(scope: Scope, sessions: SessionsUseCases) -> Response:
    return OrjsonResponse(
        {
            "status": "ok",
            "title": scope.config.title,
            "sessions": [s.display_name for s in sessions.listing().sessions],
        }
    )


root.add_api_route(
    "/health", health, response_model=models.Health, summary="Liveness probe: title and session display names"
)


@router.get(
    "/me",
    response_model=models.Me,
    summary="Who is calling: the tenant, the caller, its role and what the role allows",
)
def me(caller: Caller) -> Response:
    return OrjsonResponse(presenters.me(caller))
