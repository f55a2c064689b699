from fastapi import APIRouter, Response

from .. import models
from ..deps import Service
from ..responses import OrjsonResponse

router = APIRouter(tags=["meta"])


@router.get("/health", response_model=models.Health, summary="Liveness probe: title and session display names")
def health(service: Service) -> Response:
    return OrjsonResponse(
        {
            "status": "ok",
            "title": service.config.title,
            "sessions": [s["display_name"] for s in service.sessions()["sessions"]],
        }
    )
