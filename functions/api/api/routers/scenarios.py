from fastapi import APIRouter, Request, Response

from ..deps import Service
from ..schemas import ScenarioBody

router = APIRouter(prefix="/sessions/{sid}", tags=["scenarios"])
NOT_FOUND = {404: {"description": "session or scenario not found"}}


@router.get("/scenarios", responses={404: {"description": "session not found"}},
            summary="Every scenario of the session (full objects)")
def list_scenarios(sid: str, request: Request, service: Service) -> list[dict]:
    settings = request.app.state.settings

    def link(scenario_id: str) -> str:
        return str(request.url_for("get_scenario", sid=sid, scenario_id=scenario_id))

    return service.list_scenarios(sid, settings.list_inline_result_bytes, link)


@router.post(
    "/scenarios", status_code=201,
    responses={400: {"description": "a parameter value failed validation"},
               404: {"description": "algo_name or dataset_key not found"},
               409: {"description": "tag already exists in this session"}},
    summary="Create a scenario (not run yet)",
)
def create_scenario(sid: str, body: ScenarioBody, service: Service) -> dict:
    return service.create_scenario(sid, body.tag, body.dataset_key, body.algo_name,
                                   body.algo_params, body.data_params)


@router.get("/scenarios/{scenario_id}", responses=NOT_FOUND, summary="One scenario, with KPIs and result")
def get_scenario(sid: str, scenario_id: str, service: Service) -> dict:
    return service.get_scenario(sid, scenario_id)


@router.delete("/scenarios/{scenario_id}", status_code=204, responses=NOT_FOUND, summary="Delete a scenario")
def delete_scenario(sid: str, scenario_id: str, service: Service) -> Response:
    service.delete_scenario(sid, scenario_id)
    return Response(status_code=204)


@router.post("/scenarios/{scenario_id}/run", status_code=202,
             responses={**NOT_FOUND, 409: {"description": "the scenario is not in CREATED state"},
                        503: {"description": "the run queue is unavailable"}},
             summary="Queue a created scenario for execution")
def run_scenario(sid: str, scenario_id: str, service: Service) -> dict:
    return service.run_scenario(sid, scenario_id)


@router.post("/scenarios/{scenario_id}/reset",
             responses={**NOT_FOUND, 409: {"description": "the scenario is queued or processing"}},
             summary="Back to CREATED, clearing the result")
def reset_scenario(sid: str, scenario_id: str, service: Service) -> dict:
    return service.reset_scenario(sid, scenario_id)


@router.get("/scenarios/{scenario_id}/status", responses=NOT_FOUND,
            summary="Lightweight poll: id, tag, status, progress")
def scenario_status(sid: str, scenario_id: str, service: Service) -> dict:
    return service.scenario_status(sid, scenario_id)


@router.get("/processing", responses={404: {"description": "session not found"}},
            summary="The scenario being processed in this session, or null")
def processing(sid: str, service: Service) -> dict | None:
    return service.processing(sid)
