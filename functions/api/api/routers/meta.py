from fastapi import APIRouter

from ..deps import Service

router = APIRouter(tags=["meta"])


@router.get("/health", summary="Liveness probe: title and session display names")
def health(service: Service) -> dict:
    return {
        "status": "ok",
        "title": service.config.title,
        "sessions": [s["display_name"] for s in service.sessions()["sessions"]],
    }
