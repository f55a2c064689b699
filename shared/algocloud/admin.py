"""`algocloud-admin`: the operator's command line (tenants, API keys, usage) for a deployment.

    algocloud-admin --stack algocloud tenants create "Acme Logistics"
    algocloud-admin --stack algocloud keys issue "Acme Logistics"        # prints the key once
    algocloud-admin --stack algocloud keys rotate <key id>
    algocloud-admin --stack algocloud keys revoke <key id>
    algocloud-admin --stack algocloud usage --from 2026-11-01
    algocloud-admin --stack algocloud users add ann@example.com --tenant "Acme Logistics" --role editor \
        --issuer https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC --subject <her sub>
    algocloud-admin token ann@example.com          # local stacks: a sign-in token for scripts

The deployment is named by --stack (its CloudFormation outputs TableName and UsagePlanId) or by
TABLE_NAME and USAGE_PLAN_ID; AWS credentials and region as for the AWS CLI;
ALGOCLOUD_AWS_ENDPOINT_URL points it at the local AWS emulation. An embedded deployment is named by
ALGOCLOUD_BACKEND=embedded and ALGOCLOUD_STATE_DIR; ALGOCLOUD_LOCAL_ISSUER is a local stack's own
sign-in provider (`make local` prints the line to use). Needs typer (pip install ".[admin]").
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from .domain.errors import DomainError
from .domain.identity import Role
from .usecases.operator import Operator

app = typer.Typer(help=__doc__, no_args_is_help=True)
tenants_app = typer.Typer(help="Tenants: the paying consumers.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys: issue, rotate, revoke, list.", no_args_is_help=True)
app.add_typer(tenants_app, name="tenants")
app.add_typer(keys_app, name="keys")
audit_app = typer.Typer(help="The audit log: verify its digest chain.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
users_app = typer.Typer(help="Members: the people of a tenant, with their roles.", no_args_is_help=True)
app.add_typer(users_app, name="users")


class _Context:
    operator: Operator | None = None
    stack: str | None = None


context = _Context()


def operator() -> Operator:
    if context.operator is None:
        context.operator = build_operator(context.stack)
    return context.operator


def build_operator(stack: str | None) -> Operator:
    from .adapters.factory import embedded_operator_ports, operator_ports

    state_dir = _embedded_state()
    if state_dir is not None:
        accounts, keys, members, _log, _secrets = embedded_operator_ports(state_dir)
        return Operator(accounts, keys, members)
    return Operator(*operator_ports(*_deployment(stack)))


def _embedded_state() -> Path | None:
    """The state folder of an embedded deployment, when the environment names one."""
    if os.environ.get("ALGOCLOUD_BACKEND") != "embedded":
        return None
    folder = os.environ.get("ALGOCLOUD_STATE_DIR")
    if not folder or not Path(folder).is_dir():
        raise typer.BadParameter("ALGOCLOUD_BACKEND=embedded needs ALGOCLOUD_STATE_DIR: the stack's state folder")
    return Path(folder)


def _deployment(stack: str | None) -> tuple[str, str | None, str, str]:
    """(region, endpoint, table, usage plan) of the deployment named by --stack or the environment."""
    from .adapters.aws.clients import client_for

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    endpoint = os.environ.get("ALGOCLOUD_AWS_ENDPOINT_URL") or None
    table, plan = os.environ.get("TABLE_NAME"), os.environ.get("USAGE_PLAN_ID")
    if stack:
        described = client_for("cloudformation", region, endpoint).describe_stacks(StackName=stack)["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
        table, plan = outputs.get("TableName", table), outputs.get("UsagePlanId", plan)
    if not table or not plan:
        raise typer.BadParameter("name the deployment: --stack NAME, or TABLE_NAME and USAGE_PLAN_ID")
    return region, endpoint, table, plan


def _show(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=lambda o: o.__dict__))


def _refusing[**P](command: Callable[P, None]) -> Callable[P, None]:
    """A refusal (unknown tenant, taken name, …) -> its message on stderr and exit code 1."""

    @functools.wraps(command)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except DomainError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None

    return wrapped


@app.callback()
def main(
    stack: Annotated[str | None, typer.Option(envvar="ALGOCLOUD_STACK", help="the SAM stack's name")] = None,
) -> None:
    context.stack = stack


@tenants_app.command("create")
@_refusing
def tenants_create(name: str) -> None:
    """A new tenant (its id is what its data is stored under)."""
    _show(operator().create_tenant(name))


@tenants_app.command("list")
@_refusing
def tenants_list() -> None:
    ops = operator()
    _show([{**tenant.__dict__, "keys": ops.accounts.keys_of(tenant.id)} for tenant in ops.accounts.list_tenants()])


@tenants_app.command("limit")
@_refusing
def tenants_limit(
    tenant: Annotated[str, typer.Argument(help="the tenant's id or name")],
    runs: Annotated[
        int | None, typer.Argument(help="experiment runs in flight at once; leave out for the default")
    ] = None,
) -> None:
    """How many of the tenant's experiment runs go at once (the deployment's EXPERIMENT_CONCURRENCY
    when not set); applies to experiments created from now on."""
    _show(operator().limit_parallel_runs(tenant, runs))


@keys_app.command("issue")
@_refusing
def keys_issue(
    tenant: Annotated[str, typer.Argument(help="the tenant's id or name")],
    role: Annotated[Role, typer.Option(help="what the key may do in its tenant")] = Role.ADMIN,
) -> None:
    """A new API key for the tenant: its value is printed once, keep it."""
    issued = operator().issue_key(tenant, role=role)
    record = issued.record
    _show({"key_id": record.key_id, "tenant_id": record.tenant_id, "role": record.role, "value": issued.value})


@keys_app.command("rotate")
@_refusing
def keys_rotate(key_id: str) -> None:
    """A new key for the same tenant and role (printed once); the old one is revoked."""
    issued, old = operator().rotate_key(key_id)
    _show(
        {
            "key_id": issued.record.key_id,
            "tenant_id": issued.record.tenant_id,
            "role": issued.record.role,
            "value": issued.value,
            "revoked": old.key_id,
        }
    )


@keys_app.command("revoke")
@_refusing
def keys_revoke(key_id: str) -> None:
    """The key stops working at once (API Gateway disables it; the API refuses it)."""
    _show(operator().revoke_key(key_id))


@keys_app.command("list")
@_refusing
def keys_list(tenant: str) -> None:
    ops = operator()
    _show(ops.accounts.keys_of(ops.tenant(tenant).id))


@app.command("usage")
@_refusing
def usage(
    first: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD")] = None,
    last: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD")] = None,
) -> None:
    """Every tenant's usage per day (runs, compute seconds, bytes, API requests)."""
    _show(
        [
            {"name": name, "tenant": report.tenant_id, "from": report.first_day, "to": report.last_day,
             "days": [day.to_dict() | {"api_requests": report.requests_on(day.day)} for day in report.days()],
             "totals": report.totals()}
            for name, report in operator().report(first, last).items()
        ]
    )  # fmt: skip


@audit_app.command("verify")
@_refusing
def audit_verify(
    tenant: Annotated[str, typer.Argument(help="the tenant's id or name")],
    margin: Annotated[float, typer.Option(help="seal entries older than this many seconds first")] = 60.0,
) -> None:
    """Seal what is due, then check the tenant's digest chain: exit 1 naming the first entry or
    digest that was removed, changed or forged."""
    from .adapters.factory import operator_audit
    from .usecases.audit import AUDIT_KEY, Auditing

    found = operator().accounts.find_tenant(tenant)
    state_dir = _embedded_state()
    if state_dir is not None:
        from .adapters.factory import embedded_operator_ports

        *_ports, log, secrets = embedded_operator_ports(state_dir)
    else:
        region, endpoint, table, _plan = _deployment(context.stack)
        log, secrets = operator_audit(region, endpoint, table)
    verdict = Auditing(log, secrets.secret(AUDIT_KEY)).verify(found.id if found else tenant, margin)
    _show(verdict)
    if not verdict.ok:
        raise typer.Exit(1)


def _local_issuer() -> Any:
    """The local stack's own sign-in provider (devstack.issuer), named by ALGOCLOUD_LOCAL_ISSUER."""
    folder = os.environ.get("ALGOCLOUD_LOCAL_ISSUER")
    if not folder or not (Path(folder) / "issuer.json").exists():
        raise typer.BadParameter(
            "no local sign-in provider: start the stack with --auth and use the operator line it prints, "
            "or name the person's provider with --issuer and --subject"
        )
    from devstack.issuer import IssuerFiles

    return IssuerFiles(Path(folder))


@users_app.command("add")
@_refusing
def users_add(
    email: Annotated[str, typer.Argument(help="the person's email address")],
    tenant: Annotated[str, typer.Option(help="the tenant's id or name")],
    role: Annotated[Role, typer.Option(help="what they may do in it")] = Role.VIEWER,
    issuer: Annotated[str | None, typer.Option(help="their provider's issuer (the tokens' iss)")] = None,
    subject: Annotated[str | None, typer.Option(help="their id at the provider (the tokens' sub)")] = None,
) -> None:
    """Make a person a member of a tenant (again: change their role). Without --issuer and
    --subject, a user of the local stack's provider (made when new)."""
    if (issuer is None) != (subject is None):
        raise typer.BadParameter("--issuer and --subject go together")
    if issuer is None or subject is None:
        local = _local_issuer()
        issuer, subject = local.issuer, local.add_user(email).subject
    _show(operator().add_member(tenant, issuer, subject, role, email.strip().lower()))


@users_app.command("remove")
@_refusing
def users_remove(
    email_or_subject: Annotated[str, typer.Argument(help="the member's email address or subject")],
    tenant: Annotated[str, typer.Option(help="the tenant's id or name")],
) -> None:
    """Remove a member: their next request is refused (401), their event streams end within a minute."""
    wanted = email_or_subject.strip().lower()
    found = [m for m in operator().members_of(tenant) if wanted in (m.subject.lower(), (m.email or "").lower())]
    if len(found) != 1:
        raise typer.BadParameter(f"{len(found)} members of '{tenant}' are '{email_or_subject}'")
    operator().remove_member(tenant, found[0].issuer, found[0].subject)
    _show({"removed": found[0]})


@users_app.command("list")
@_refusing
def users_list(tenant: Annotated[str, typer.Argument(help="the tenant's id or name")]) -> None:
    _show(operator().members_of(tenant))


@app.command("token")
@_refusing
def token(
    email: Annotated[str, typer.Argument(help="a user of the local stack's sign-in provider")],
    minutes: Annotated[int, typer.Option(min=1, max=1440, help="how long it is valid")] = 15,
) -> None:
    """Print a sign-in token for a local user (local stacks only), for scripts and tests:
    Authorization: Bearer <token>."""
    local = _local_issuer()
    user = local.find_user(email)
    if user is None:
        raise typer.BadParameter(f"no local user '{email}': add them with `users add`")
    typer.echo(local.mint(user, minutes * 60))


if __name__ == "__main__":
    app(prog_name="algocloud-admin")
