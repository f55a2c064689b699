"""The HTTP shapes: domain objects, as the use cases return them, turned into response bodies.

Every body the API answers is built here (models.py describes the same shapes for the OpenAPI
document, and the generated client's models come from that). Bodies are plain dicts, written
straight out by responses.OrjsonResponse on the hot paths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import orjson

from algocloud import limits
from algocloud.domain.events import kpi_report
from algocloud.domain.scenario import TERMINAL, Status

if TYPE_CHECKING:  # only types: the events function imports this module, and its cold start counts
    from algocloud.domain.accounts import ApiKeyRecord, UsageReport
    from algocloud.domain.audit import AuditEntry
    from algocloud.domain.compare import Comparison, KpiComparison
    from algocloud.domain.config import AppConfig
    from algocloud.domain.experiment_report import ExperimentReport
    from algocloud.domain.experiments import ExperimentSummary
    from algocloud.domain.identity import Principal
    from algocloud.domain.jobs import IngestJob
    from algocloud.domain.scenario import Scenario, ScenarioStatus
    from algocloud.domain.stores import SessionRecord
    from algocloud.domain.webhooks import DeliveryAttempt, Webhook
    from algocloud.usecases.datasets import EtlOutcome, TableSlice
    from algocloud.usecases.experiments import ExperimentView
    from algocloud.usecases.ingestion import UploadStatus, UploadTarget
    from algocloud.usecases.operator import IssuedKey
    from algocloud.usecases.sessions import SessionList

type Body = dict[str, Any]


# -- sessions ---------------------------------------------------------------------------------
def session_ref(session: SessionRecord) -> Body:
    return {"id": session.id, "display_name": session.display_name}


def session_list(listing: SessionList) -> Body:
    return {"sessions": [session_ref(s) for s in listing.sessions], "default": listing.default}


# -- scenarios --------------------------------------------------------------------------------
def scenario(config: AppConfig, item: Scenario) -> Body:
    """The reference's Scenario.to_dict(). Parameters are described by the algorithm's
    descriptors, or shown bare when the deployment no longer offers the algorithm."""
    parameters = config.parameters_of(item.algorithm)
    if parameters is not None:
        descriptors = parameters.describe(item.parameters)
    else:
        descriptors = [{"name": name, "value": value} for name, value in item.parameters.items()]
    complete = item.status == Status.COMPLETE
    return {
        "id": item.id,
        "tag": item.tag,
        "input_data_id": item.input_data_id,
        "algorithm": {"name": item.algorithm, "parameters": descriptors},
        "data_parameters": item.data_parameters,
        "kpis": _kpis(config, item),
        "status": str(item.status),
        "progress": item.progress,
        "result": item.result if complete else None,
        "error": item.error,
        "created_at": item.created_at,
        "run_started_at": item.run_started_at,
        "run_finished_at": item.run_finished_at,
        "tier": item.tier,
        "executor": item.executor,
        "provenance": item.provenance,
    }


def _stored(item: Scenario) -> bool:
    """Whether the result is kept in storage (too large for the record) rather than inline."""
    return bool(item.result_ref) and item.status == Status.COMPLETE


def _inline(item: Scenario) -> bool:
    """Whether the result is kept in the record."""
    return not item.result_ref and item.status == Status.COMPLETE


def scenario_with_result(
    config: AppConfig,
    item: Scenario,
    read_stored: Callable[[Scenario], bytes | None],
    stored_url: Callable[[Scenario], str],
    budget: int | None,
) -> Body:
    """One scenario with its result: a result kept in storage is read into the body, or linked
    (`result_url`, presigned) when the whole would be over `budget` bytes."""
    body = scenario(config, item)
    if _stored(item):
        raw = read_stored(item)
        room = None if budget is None else budget - len(orjson.dumps(body))
        if raw is not None and (room is None or len(raw) <= room):
            body["result"] = orjson.loads(raw)
        else:
            body["result_url"] = stored_url(item)
    return body


_kpis = kpi_report  # the same KPIs an event carries


def scenario_summary(config: AppConfig, item: Scenario) -> Body:
    """The upstream 0.10 summary shape: what a list view shows, with no result."""
    complete = item.status == Status.COMPLETE
    return {
        "id": item.id,
        "tag": item.tag,
        "input_data_key": item.input_data_id,
        "algorithm": {"name": item.algorithm, "parameters": item.parameters},
        "data_parameters": item.data_parameters,
        "status": str(item.status),
        "progress": item.progress,
        "created_at": item.created_at,
        "run_started_at": item.run_started_at,
        "run_finished_at": item.run_finished_at,
        "result_available": complete,
        "kpis": _kpis(config, item),
        "error": item.error,
    }


RESULTS_READ_AT_ONCE = 100


def scenario_list(
    config: AppConfig,
    items: Sequence[Scenario],
    read_results: Callable[[Sequence[Scenario]], Mapping[str, Any]] | None,
    stored_url: Callable[[Scenario], str],
    budget: int | None,
    link: Callable[[str], str],
) -> list[Body]:
    """Scenarios as full objects. Results kept in storage are linked (`result_url`, presigned).
    With `read_results` (the reference's whole list), inline results are read a batch at a time
    and put in while the list's JSON fits `budget` bytes (a Lambda response is at most 6 MB):
    from the first that does not fit, the rest carry `result_url` (from `link`: the scenario's
    own URL) and are not read, so the reads stop at the budget too. Without it (a page), every
    complete scenario links its result: a page never reads results."""
    listed = [scenario(config, item) for item in items]
    inline = []
    for item, body in zip(items, listed, strict=True):
        if _stored(item):
            body["result_url"] = stored_url(item)
        elif _inline(item):
            body["result_url"] = link(item.id)  # until its result is read and fits
            inline.append((item, body))
    spent = len(orjson.dumps(listed))
    for start in range(0, len(inline), RESULTS_READ_AT_ONCE):
        if read_results is None:
            break
        batch = inline[start : start + RESULTS_READ_AT_ONCE]
        results = read_results([item for item, _ in batch])
        for item, body in batch:
            result = results.get(item.id)
            # the result in place of null, less the link it replaces
            grown = len(orjson.dumps(result)) - 4 - len(b',"result_url":') - len(orjson.dumps(body["result_url"]))
            if result is not None and (budget is None or spent + grown <= budget):
                body["result"] = result
                del body["result_url"]
                spent += grown
            else:
                read_results = None  # over the budget: the rest stay linked, unread
    return listed


def experiment_ref(summary: ExperimentSummary) -> Body:
    """An experiment in a list: what it is, not how it went (GET it for its report)."""
    return {
        "id": summary.id,
        "name": summary.name,
        "algorithm": summary.algorithm,
        "runs": summary.runs,
        "run_session_id": summary.run_session_id,
        "created_at": summary.created_at,
        "ending": summary.ending,
    }


def experiment(view: ExperimentView) -> Body:
    plan = view.experiment
    return {
        **experiment_ref(plan.summary()),
        "datasets": plan.datasets,
        "repetitions": plan.repetitions,
        "parallel_runs": plan.lanes,
        "run_ids": [run.scenario_id for run in plan.runs],
        **_experiment_report(view.report),
    }


def _experiment_report(report: ExperimentReport) -> Body:
    return {
        "counts": report.counts,
        "runs": report.runs,
        "done": report.done,
        "progress": report.progress,
        "baseline": {"scenario_id": report.baseline_scenario, "parameter_set": report.baseline_set,
                     "kpis": report.baseline_kpis},
        "criteria": [asdict(c) for c in report.criteria],
        "parameter_sets": [
            {"index": s.index, "parameters": s.parameters, "kpis": {name: asdict(k) for name, k in s.kpis.items()},
             "rank": s.rank, "acceptance": asdict(s.acceptance)}
            for s in report.parameter_sets
        ],
        "ranking": report.ranking,
        "failed": [asdict(run) for run in report.failed],
    }  # fmt: skip


def scenario_status(status: ScenarioStatus) -> Body:
    return {"id": status.id, "tag": status.tag, "status": str(status.status), "progress": status.progress}


# -- data -------------------------------------------------------------------------------------
def dataset_keys(keys: list[str]) -> Body:
    return {"keys": keys}


def dataset_tables(key: str, tables: Mapping[str, Any]) -> Body:
    return {
        "key": key,
        "tables": [
            {
                "name": name,
                "rows": entry["rows"],
                "columns": [{"name": column, "dtype": entry["dtypes"].get(column)} for column in entry["columns"]],
            }
            for name, entry in tables.items()
        ],
    }


def data_parameters(key: str, descriptors: list[dict[str, Any]]) -> Body:
    return {"key": key, "parameters": descriptors}


def rows_page(key: str, table: str, offset: int, limit: int, found: TableSlice) -> Body:
    following = offset + len(found.rows)
    return {
        "key": key,
        "table": table,
        "offset": offset,
        "limit": limit,
        "total": found.total,
        "rows": found.rows,
        "next_offset": following if following < found.total else None,
    }


def etl(outcome: EtlOutcome) -> Body:
    from algocloud.usecases.ingestion import outcome_record

    return outcome_record(outcome)


# -- uploads and jobs -------------------------------------------------------------------------
def upload_target(target: UploadTarget) -> Body:
    body: Body = {
        "upload_id": target.upload_id,
        "filename": target.filename,
        "size": target.size,
        "expires_at": target.expires_at,
        "method": target.method,
    }
    if target.parts is None:
        return body | {"url": target.url, "fields": target.fields}
    parts = [{"part_number": number, "url": url} for number, url in target.parts]
    return body | {"part_size": target.part_size, "parts": parts}


def upload_status(status: UploadStatus) -> Body:
    return asdict(status)


def job(item: IngestJob) -> Body:
    return {
        "job_id": item.job_id,
        "kind": str(item.kind),
        "dataset_name": item.dataset_name,
        "status": str(item.status),
        "progress": item.progress,
        "result": item.result,
        "detail": item.detail,
        "created_at": item.created_at,
        "finished_at": item.finished_at,
        "uploads": item.upload_ids,
        "executor": item.executor,
    }


# -- events and webhooks ----------------------------------------------------------------------
def events_token(token: str, url: str, expires_at: int) -> Body:
    """What a client opens the events WebSocket with, and the limits it lives under."""
    return {
        "token": token,
        "url": url,
        "expires_at": expires_at,
        "connection_seconds": limits.WEBSOCKET_LIFETIME_SECONDS,
        "idle_seconds": limits.WEBSOCKET_IDLE_SECONDS,
    }


def webhook(hook: Webhook, with_secret: bool = False) -> Body:
    """A webhook; its secret only where it was just made (created or rotated)."""
    body: Body = {
        "id": hook.id,
        "url": hook.url,
        "events": list(hook.events),
        "enabled": hook.enabled,
        "disabled_reason": hook.disabled_reason,
        "failures": hook.failures,
        "created_at": hook.created_at,
    }
    if with_secret:
        body["secret"] = hook.secret
    return body


def webhooks(hooks: Sequence[Webhook]) -> Body:
    return {"webhooks": [webhook(hook) for hook in hooks]}


def deliveries(attempts: Sequence[DeliveryAttempt]) -> Body:
    return {"deliveries": [asdict(attempt) for attempt in attempts]}


# -- catalogue ---------------------------------------------------------------------------------
def algorithm_names(names: Sequence[str]) -> Body:
    return {"algorithms": list(names)}


def algorithm_parameters(name: str, described: Any) -> Body:
    return {"name": name, "parameters": described}


def kpi_names(names: Sequence[str]) -> Body:
    return {"kpis": list(names)}


def comparison(compared: Comparison) -> Body:
    """Scenarios side by side (domain.compare): per KPI, the ranking, provenance."""
    return {
        "scenarios": [{"id": s.id, "tag": s.tag, "algorithm": s.algorithm, "status": str(s.status)}
                      for s in compared.scenarios],
        "baseline": compared.baseline,
        "not_compared": [{"id": s.id, "tag": s.tag, "status": str(s.status)} for s in compared.not_compared],
        "kpis": [_kpi_comparison(entry) for entry in compared.kpis],
        "ranking": [
            {"id": row.scenario.id, "tag": row.scenario.tag, "mean_rank": row.mean_rank, "best_in": row.best_in,
             "thresholds_failed": row.thresholds_failed, "rank": row.rank}
            for row in compared.ranking
        ],
        "provenance": compared.provenance,
    }  # fmt: skip


def _kpi_comparison(entry: KpiComparison) -> Body:
    kpi = entry.kpi
    body: Body = {"name": kpi.name, "unit": kpi.unit, "better_when": str(kpi.better_when), "threshold": kpi.threshold,
                  "values": entry.values, "best": entry.best, "passes": entry.passes}  # fmt: skip
    if entry.vs_baseline is not None:
        body["vs_baseline"] = {
            sid: None if d is None else {"difference": d.difference, "relative": d.relative}
            for sid, d in entry.vs_baseline.items()
        }
    return body


def usage(report: UsageReport) -> Body:
    """A tenant's usage per day (days with nothing counted left out) and its totals; `api_requests`
    is null where API Gateway does not count them."""
    days = [day.to_dict() | {"api_requests": report.requests_on(day.day)} for day in report.days()]
    return {"tenant": report.tenant_id, "from": report.first_day, "to": report.last_day, "days": days,
            "totals": report.totals()}  # fmt: skip


def me(principal: Principal) -> Body:
    return {
        "tenant": principal.tenant,
        "subject": principal.subject,
        "kind": str(principal.kind),
        "email": principal.email,
        "role": str(principal.role),
        "allowed": principal.allowed(),
    }


def api_key(key: ApiKeyRecord) -> Body:
    return {"key_id": key.key_id, "role": str(key.role), "created_at": key.created_at, "created_by": key.created_by,
            "expires_at": key.expires_at, "revoked_at": key.revoked_at, "active": key.active}  # fmt: skip


def issued_key(issued: IssuedKey) -> Body:
    return {**api_key(issued.record), "value": issued.value}


def audit_entry(entry: AuditEntry) -> Body:
    return entry.to_record()


# -- the events WebSocket's replies (api.websocket) -----------------------------------------------
def subscribed(
    session_id: str,
    status: ScenarioStatus | None = None,
    job: IngestJob | None = None,
    experiment: tuple[str, str] | None = None,
) -> Body:
    """What a `subscribe` follows (a scenario, a job, an experiment as its run session, or the
    session) and its state now; `finished` when a scenario will send no more events."""
    body: Body = {"type": "subscribed", "session_id": session_id}
    if status is not None:
        body |= {"scenario_id": status.id, "tag": status.tag, "status": str(status.status), "progress": status.progress}
        if status.status in TERMINAL:
            body["finished"] = True
    if job is not None:
        body |= {"job_id": job.job_id, "status": str(job.status), "progress": job.progress}
    if experiment is not None:
        body |= {"experiment_id": experiment[0], "run_session_id": experiment[1]}
    return body


def unsubscribed(ids: Mapping[str, str]) -> Body:
    return {"type": "unsubscribed", **ids}


def socket_error(detail: str) -> Body:
    return {"type": "error", "detail": detail}
