from fastapi import APIRouter, Response

from .. import models
from ..deps import Scope, SessionsUseCases
from ..responses import OrjsonResponse

router = APIRouter(tags=["meta"])


@router.get("/health", response_model=models.Health, summary="Liveness probe: title and session display names")
def health(scope: Scope, sessions: SessionsUseCases) -> Response:
    return OrjsonResponse(
        {
            "status": "ok",
            "title": scope.config.title,
            "sessions": [s.display_name for s in sessions.listing().sessions],
        }
    )
