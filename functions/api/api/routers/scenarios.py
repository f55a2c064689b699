from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from .. import models, presenters
from ..deps import ScenariosUseCases
from ..paging import Cursor, PageLimit, next_page_headers, public_url
from ..params import ScenarioId, SessionId
from ..responses import OrjsonResponse
from ..schemas import ScenarioBody
from . import Responses

router = APIRouter(prefix="/sessions/{sid}", tags=["scenarios"])
NOT_FOUND: Responses = {404: {"description": "session or scenario not found"}}


class View(StrEnum):
    full = "full"
    summary = "summary"


@router.get(
    "/scenarios",
    response_model=list[models.Scenario] | list[models.ScenarioSummary],
    responses={404: {"description": "session not found"}, 400: {"description": "a cursor this API did not give out"}},
    summary="Every scenario of the session (full objects), or summaries",
    description=(
        "Without `limit`, every scenario as the reference's full object, results inlined while the "
        "answer fits the response limit. With `limit`, a page in creation order (the next one in "
        "`X-Next-Cursor` / `Link`) whose results are linked by `result_url`, not inlined. "
        "`view=summary` answers `ScenarioSummary` objects instead: no result, no parameter "
        "descriptors; the cheap listing for a list view."
    ),
)
def list_scenarios(
    sid: SessionId,
    request: Request,
    scenarios: ScenariosUseCases,
    limit: PageLimit = None,
    cursor: Cursor = None,
    view: Annotated[View, Query(description="full objects (the reference's) or summaries")] = View.full,
) -> Response:
    def link(scenario_id: str) -> str:
        return public_url(request, request.app.url_path_for("get_scenario", sid=sid, scenario_id=scenario_id))

    page = scenarios.listing(sid, limit, cursor)
    headers = next_page_headers(request, page.next_cursor)
    if view == View.summary:
        return OrjsonResponse(
            [presenters.scenario_summary(scenarios.config, s) for s in page.scenarios], headers=headers
        )
    budget = request.app.state.settings.response_limit
    read_results = None if limit is not None else lambda batch: scenarios.results(page, batch)
    listed = presenters.scenario_list(
        scenarios.config, page.scenarios, read_results, scenarios.stored_result_url, budget, link
    )
    return OrjsonResponse(listed, headers=headers)


@router.post(
    "/scenarios",
    response_model=models.Scenario,
    status_code=201,
    responses={
        400: {"description": "a parameter value failed validation"},
        404: {"description": "algo_name or dataset_key not found"},
        409: {"description": "tag already exists in this session"},
    },
    summary="Create a scenario (not run yet)",
)
def create_scenario(sid: SessionId, body: ScenarioBody, scenarios: ScenariosUseCases) -> Response:
    created = scenarios.create(
        sid, body.tag, body.dataset_key, body.algo_name, body.algo_params, body.data_params, body.tier
    )
    return OrjsonResponse(presenters.scenario(scenarios.config, created), status_code=201)


@router.get(
    "/scenarios/compare",
    response_model=models.Comparison,
    responses={
        400: {"description": "not 2 to 20 different ids, or a baseline not among them"},
        404: {"description": "session or a scenario not found"},
    },
    summary="Compare 2 to 20 scenarios by KPI",
    description=(
        "Per KPI: each complete scenario's value, the best by the KPI's direction, threshold pass/fail, "
        "and with `baseline` the difference to it; a ranking by mean rank over the KPIs. Scenarios "
        "that are not complete are listed in `not_compared`."
    ),
)
def compare_scenarios(
    sid: SessionId,
    scenarios: ScenariosUseCases,
    ids: Annotated[str, Query(description="comma-separated scenario ids", min_length=1, max_length=2000)],
    baseline: Annotated[str | None, Query(description="one of ids")] = None,
) -> Response:
    wanted = [part.strip() for part in ids.split(",") if part.strip()]
    chosen = baseline.strip() if baseline is not None else None  # spaces trimmed as in `ids`
    return OrjsonResponse(presenters.comparison(scenarios.compare(sid, wanted, chosen or None)))


@router.get(
    "/scenarios/{scenario_id}",
    response_model=models.Scenario,
    responses=NOT_FOUND,
    summary="One scenario, with KPIs and result",
)
def get_scenario(sid: SessionId, scenario_id: ScenarioId, request: Request, scenarios: ScenariosUseCases) -> Response:
    return OrjsonResponse(
        presenters.scenario_with_result(
            scenarios.config,
            scenarios.get(sid, scenario_id),
            scenarios.stored_result,
            scenarios.stored_result_url,
            request.app.state.settings.response_limit,
        )
    )


@router.delete("/scenarios/{scenario_id}", status_code=204, responses=NOT_FOUND, summary="Delete a scenario")
def delete_scenario(sid: SessionId, scenario_id: ScenarioId, scenarios: ScenariosUseCases) -> Response:
    scenarios.delete(sid, scenario_id)
    return Response(status_code=204)


@router.post(
    "/scenarios/{scenario_id}/run",
    response_model=models.Scenario,
    status_code=202,
    responses={
        **NOT_FOUND,
        409: {"description": "the scenario is not in CREATED state"},
        503: {"description": "the run queue is unavailable"},
    },
    summary="Queue a created scenario for execution",
)
def run_scenario(sid: SessionId, scenario_id: ScenarioId, scenarios: ScenariosUseCases) -> Response:
    return OrjsonResponse(presenters.scenario(scenarios.config, scenarios.run(sid, scenario_id)), status_code=202)


@router.post(
    "/scenarios/{scenario_id}/cancel",
    response_model=models.Scenario,
    responses={**NOT_FOUND, 409: {"description": "the scenario is not queued or processing"}},
    summary='Cancel a queued or processing run: the scenario ends failed with error "cancelled"',
)
def cancel_scenario(sid: SessionId, scenario_id: ScenarioId, scenarios: ScenariosUseCases) -> Response:
    return OrjsonResponse(presenters.scenario(scenarios.config, scenarios.cancel(sid, scenario_id)))


@router.post(
    "/scenarios/{scenario_id}/reset",
    response_model=models.Scenario,
    responses={**NOT_FOUND, 409: {"description": "the scenario is queued or processing"}},
    summary="Back to CREATED, clearing the result",
)
def reset_scenario(sid: SessionId, scenario_id: ScenarioId, scenarios: ScenariosUseCases) -> Response:
    return OrjsonResponse(presenters.scenario(scenarios.config, scenarios.reset(sid, scenario_id)))


@router.get(
    "/scenarios/{scenario_id}/status",
    response_model=models.ScenarioStatus,
    responses=NOT_FOUND,
    summary="Lightweight poll: id, tag, status, progress",
)
def scenario_status(sid: SessionId, scenario_id: ScenarioId, scenarios: ScenariosUseCases) -> Response:
    return OrjsonResponse(presenters.scenario_status(scenarios.status(sid, scenario_id)))


@router.get(
    "/processing",
    response_model=models.Scenario | None,
    responses={404: {"description": "session not found"}},
    summary="The scenario being processed in this session, or null",
)
def processing(sid: SessionId, scenarios: ScenariosUseCases) -> Response:
    running = scenarios.processing(sid)
    return OrjsonResponse(None if running is None else presenters.scenario(scenarios.config, running))
