from fastapi import APIRouter

from algocloud.domain.errors import NotFound

from .. import models, presenters
from ..deps import Scope
from ..params import AlgorithmName, SessionId

router = APIRouter(prefix="/sessions/{sid}", tags=["algorithms & KPIs"])


@router.get(
    "/algorithms",
    response_model=models.AlgorithmNames,
    responses={404: {"description": "session not found"}},
    summary="Names of the registered algorithms",
)
def algorithms(sid: SessionId, scope: Scope) -> dict:
    scope.session(sid)
    return presenters.algorithm_names(scope.config.algorithm_names)


@router.get(
    "/algorithms/{name}/parameters",
    response_model=models.AlgorithmParameters,
    responses={404: {"description": "session or algorithm not found"}},
    summary="Parameter descriptors of one algorithm",
)
def algorithm_parameters(sid: SessionId, name: AlgorithmName, scope: Scope) -> dict:
    scope.session(sid)
    parameters = scope.config.parameters_of(name)
    if parameters is None:
        raise NotFound(f"algorithm '{name}' is not registered")
    return presenters.algorithm_parameters(name, parameters.describe())


@router.get(
    "/kpis",
    response_model=models.KpiNames,
    responses={404: {"description": "session not found"}},
    summary="Names of the KPI templates",
)
def kpis(sid: SessionId, scope: Scope) -> dict:
    scope.session(sid)
    return presenters.kpi_names(scope.config.kpi_names)
