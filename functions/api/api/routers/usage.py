from typing import Annotated

from fastapi import APIRouter, Query, Request

from algocloud.usecases.usage import usage_report

from .. import models, presenters
from ..deps import Scope, adapters

router = APIRouter(tags=["usage"])


@router.get(
    "/usage",
    response_model=models.Usage,
    responses={400: {"description": "bad day range"}},
    summary="The calling tenant's usage per day: runs, compute seconds, data ingested and stored, requests",
)
def usage(
    request: Request,
    scope: Scope,
    first: Annotated[
        str | None, Query(alias="from", description="first day, YYYY-MM-DD (UTC); default: 29 days before `to`")
    ] = None,
    last: Annotated[str | None, Query(alias="to", description="last day, YYYY-MM-DD (UTC); default: today")] = None,
) -> dict:
    built = adapters(request.app.state.settings)
    return presenters.usage(usage_report(built.accounts, built.keys, scope.tenant, first, last))
