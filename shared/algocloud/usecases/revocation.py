"""What outlives a request ends with its principal: an events token is checked again when a
WebSocket connects with it, and open connections are swept (once a minute: the events function on
a schedule, the local stacks' emulation likewise), so a revoked key or a removed member stops
hearing the tenant's events within a minute, not at the token's or connection's own expiry."""

from __future__ import annotations

from ..domain.errors import InvalidRequest
from ..domain.identity import Role
from ..domain.ports import Accounts, Members, Pusher, Subscriptions


def holder_role(accounts: Accounts, members: Members, tenant: str, holder: str) -> Role | None:
    """The role `holder` (domain.identity.Principal.holder) has in `tenant` now, None when it may no
    longer act there: one read."""
    kind, _, who = holder.partition(":")
    if kind == "key":
        try:
            key = accounts.get_key(who)
        except InvalidRequest:
            return None
        return key.role if key is not None and key.active and key.tenant_id == tenant else None
    if kind == "user":
        issuer, _, subject = who.partition(" ")  # an issuer is a URL: it holds no space
        return next((m.role for m in members.memberships(issuer, subject) if m.tenant_id == tenant), None)
    return Role.ADMIN if holder == "" else None  # the anonymous caller of an open deployment


def holder_active(accounts: Accounts, members: Members, tenant: str, holder: str) -> bool:
    return holder_role(accounts, members, tenant, holder) is not None


def end_revoked_connections(subscriptions: Subscriptions, pusher: Pusher, accounts: Accounts, members: Members) -> int:
    """Close every open connection whose holder may no longer act in its tenant; how many."""
    verdicts: dict[tuple[str, str], bool] = {}
    ended = 0
    for connection_id, tenant, holder in subscriptions.connections():
        if (tenant, holder) not in verdicts:
            verdicts[tenant, holder] = holder_active(accounts, members, tenant, holder)
        if not verdicts[tenant, holder]:
            pusher.close(connection_id)
            subscriptions.disconnect(connection_id)
            ended += 1
    return ended
