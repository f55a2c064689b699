from fastapi import APIRouter, Response

from ..deps import Service
from ..responses import OrjsonResponse

router = APIRouter(tags=["meta"])


@router.get("/health", response_model=dict, summary="Liveness probe: title and session display names")
def health(service: Service) -> Response:
    return OrjsonResponse({
        "status": "ok",
        "title": service.config.title,
        "sessions": [s["display_name"] for s in service.sessions()["sessions"]],
    })
