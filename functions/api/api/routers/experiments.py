"""Experiments: parameter sweeps run in parallel, reported per parameter set against a baseline."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from algocloud import limits
from algocloud.usecases.experiments import ExperimentSpec

from .. import models, presenters
from ..deps import ExperimentsUseCases
from ..params import ExperimentId, SessionId
from ..responses import OrjsonResponse
from ..schemas import ExperimentBody
from . import Responses

router = APIRouter(prefix="/sessions/{sid}/experiments", tags=["experiments"])
NOT_FOUND: Responses = {404: {"description": "session or experiment not found"}}
Accept = Annotated[
    list[str] | None,
    Query(max_length=50, description="judge by these criteria instead of the experiment's own (`KPI<=+2%`)"),
]


@router.post(
    "",
    response_model=models.Experiment,
    status_code=201,
    responses={
        400: {"description": "a parameter set, criterion or baseline failed validation, or too many runs"},
        404: {"description": "session, algorithm or dataset not found"},
    },
    summary="Create an experiment and queue its runs",
    description=(
        "Every parameter set (the grid's combinations, or `parameter_sets`, over `algo_params`) runs "
        "`repetitions` times on each dataset (a `seed` parameter, where the algorithm has one, counts up "
        "per repetition). Everything is validated before anything is created. The runs are ordinary "
        "scenarios in a session made for the experiment (`run_session_id`), and run in parallel: up to "
        "the tenant's limit at once. Ordinary sessions keep one run at a time."
    ),
)
def create_experiment(sid: SessionId, body: ExperimentBody, experiments: ExperimentsUseCases) -> Response:
    spec = ExperimentSpec(
        name=body.name,
        datasets=body.dataset_keys,
        algorithm=body.algo_name,
        parameters=body.algo_params,
        grid=body.grid,
        parameter_sets=body.parameter_sets,
        repetitions=body.repetitions,
        baseline_scenario=body.baseline_scenario,
        baseline_set=body.baseline_set,
        accept=body.accept,
    )
    return OrjsonResponse(presenters.experiment(experiments.create(sid, spec)), status_code=201)


@router.get(
    "",
    response_model=list[models.ExperimentRef],
    responses={404: {"description": "session not found"}},
    summary="The session's experiments",
)
def list_experiments(sid: SessionId, experiments: ExperimentsUseCases) -> Response:
    return OrjsonResponse([presenters.experiment_ref(record) for record in experiments.listing(sid)])


@router.get(
    "/{experiment_id}",
    response_model=models.Experiment,
    responses={**NOT_FOUND, 400: {"description": "an `accept` criterion failed to parse"}},
    summary="An experiment, its status and its report",
)
def get_experiment(
    sid: SessionId, experiment_id: ExperimentId, experiments: ExperimentsUseCases, accept: Accept = None
) -> Response:
    return OrjsonResponse(presenters.experiment(experiments.get(sid, experiment_id, accept)))


@router.post(
    "/{experiment_id}/cancel",
    response_model=models.Experiment,
    responses={
        **NOT_FOUND,
        202: {"model": models.Experiment, "description": "many runs in flight: a job cancels them (`ending`)"},
        409: {"description": "the experiment is being deleted"},
    },
    summary="Cancel every queued and running run",
    description=(
        "A few runs in flight end cancelled within the request (200). More than "
        f"{limits.EXPERIMENT_SYNC_CANCEL_RUNS} are cancelled by a job on the worker: the answer is 202 with "
        "`ending: cancelling`, and the experiment's `counts` and `progress` show the job's progress."
    ),
)
def cancel_experiment(sid: SessionId, experiment_id: ExperimentId, experiments: ExperimentsUseCases) -> Response:
    view = experiments.cancel(sid, experiment_id)
    return OrjsonResponse(presenters.experiment(view), status_code=202 if view.experiment.ending else 200)


@router.delete(
    "/{experiment_id}",
    status_code=204,
    responses={
        **NOT_FOUND,
        202: {"model": models.Experiment, "description": "a large experiment: a job deletes it (`ending`)"},
    },
    summary="Cancel an experiment and delete it with its runs",
    description=(
        f"An experiment of at most {limits.EXPERIMENT_SYNC_DELETE_RUNS} runs, with few in flight, is deleted "
        "within the request (204). A larger one is deleted by a job on the worker: the answer is 202 with "
        "`ending: deleting`, and the experiment answers 404 once it is gone."
    ),
)
def delete_experiment(sid: SessionId, experiment_id: ExperimentId, experiments: ExperimentsUseCases) -> Response:
    view = experiments.delete(sid, experiment_id)
    if view is None:
        return Response(status_code=204)
    return OrjsonResponse(presenters.experiment(view), status_code=202)
