"""Sign-in with an OpenID Connect provider (the local one, devstack.issuer), on both backends: on
the aws one through API Gateway's Lambda authorizer (api.authorizer), as AuthMode=signin deploys
it; on the embedded one checked by the API itself.

Every forged or unwelcome token is a 401 with a log line, never a 500; membership (not the token)
says the tenant and role, and its changes hold at the next request."""

import base64
import hashlib
import hmac
import json
import logging
import socket
import time

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from algocloud.domain.accounts import MemberRecord, TenantRecord
from algocloud.domain.identity import Role
from devstack.issuer import CLIENT_ID, IssuerFiles, LocalUser, serve_issuer


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def issuer(tmp_path_factory):
    files = IssuerFiles(tmp_path_factory.mktemp("issuer"))
    port = _free_port()
    files.create(f"http://127.0.0.1:{port}")
    server = serve_issuer(files, port)
    yield files
    server.shutdown()


@pytest.fixture
def signin(request, backend_name, settings, make_client, issuer, monkeypatch):
    """A client of a deployment with sign-in on (AuthMode=signin), and its members' store."""
    from api import authorizer, deps
    from api.settings import get_settings
    from api.signin import verifier_for

    oidc = {"oidc_issuer": issuer.issuer, "oidc_audience": CLIENT_ID, "oidc_jwks_url": f"{issuer.issuer}/jwks.json"}
    gateway = None
    if backend_name == "aws":
        from devstack.apigateway import config_from_template

        for name, value in {**oidc, "table_name": settings.table_name, "bucket_name": settings.bucket_name,
                            "queue_url": settings.queue_url}.items():  # fmt: skip
            monkeypatch.setenv(name.upper(), str(value))
        for cached in (get_settings, verifier_for, authorizer._adapters):
            cached.cache_clear()
            request.addfinalizer(cached.cache_clear)
        gateway = config_from_template(stage="Prod", stage_throttle=None, authorizer=authorizer.handler)
    client = make_client(gateway=gateway, **oidc)
    client.built = deps.adapters(client.api.state.settings)
    return client


def tenant(client, name: str) -> str:
    record = TenantRecord.new(name)
    client.built.accounts.create_tenant(record)
    return record.id


def member(client, issuer: IssuerFiles, email: str, tenant_id: str, role: Role) -> LocalUser:
    user = issuer.add_user(email)
    client.built.members.put_member(MemberRecord(tenant_id, issuer.issuer, user.subject, role, email))
    return user


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_members_act_in_their_tenant_with_their_role(signin, issuer, base):
    acme = tenant(signin, "Acme signin roles")
    ann = member(signin, issuer, "ann@acme.example", acme, Role.EDITOR)
    vic = member(signin, issuer, "vic@acme.example", acme, Role.VIEWER)
    assert signin.get(f"{base}/sessions").status_code == 401
    me = signin.get(f"{base}/me", headers=bearer(issuer.mint(ann))).json()
    assert (me["tenant"], me["subject"], me["kind"], me["role"], me["email"]) == (
        acme,
        ann.subject,
        "user",
        "editor",
        "ann@acme.example",
    )
    created = signin.post(f"{base}/sessions", json={"display_name": "by ann"}, headers=bearer(issuer.mint(ann)))
    assert created.status_code == 201, created.text
    refused = signin.post(f"{base}/sessions", json={"display_name": "by vic"}, headers=bearer(issuer.mint(vic)))
    assert refused.status_code == 403 and "needs the editor role" in refused.json()["detail"]
    names = [
        s["display_name"] for s in signin.get(f"{base}/sessions", headers=bearer(issuer.mint(vic))).json()["sessions"]
    ]
    assert "by ann" in names and "by vic" not in names


def test_a_person_in_several_tenants_names_one(signin, issuer, base):
    one, two = tenant(signin, "Multi one"), tenant(signin, "Multi two")
    mia = member(signin, issuer, "mia@multi.example", one, Role.VIEWER)
    member(signin, issuer, "mia@multi.example", two, Role.ADMIN)
    token = issuer.mint(mia)
    unnamed = signin.get(f"{base}/me", headers=bearer(token))
    assert unnamed.status_code == 400 and one in unnamed.json()["detail"] and two in unnamed.json()["detail"]
    for tenant_id, role in ((one, "viewer"), (two, "admin")):
        me = signin.get(f"{base}/me", headers={**bearer(token), "x-algocloud-tenant": tenant_id}).json()
        assert (me["tenant"], me["role"]) == (tenant_id, role)


def test_a_removal_or_a_lower_role_holds_at_the_next_request(signin, issuer, base):
    """Even while API Gateway keeps the authorizer's answer for the token."""
    acme = tenant(signin, "Acme signin removal")
    rob = member(signin, issuer, "rob@acme.example", acme, Role.EDITOR)
    token = issuer.mint(rob)
    assert signin.get(f"{base}/me", headers=bearer(token)).json()["role"] == "editor"
    signin.built.members.put_member(MemberRecord(acme, issuer.issuer, rob.subject, Role.VIEWER))
    assert signin.get(f"{base}/me", headers=bearer(token)).json()["role"] == "viewer"
    signin.built.members.remove_member(acme, issuer.issuer, rob.subject)
    assert signin.get(f"{base}/me", headers=bearer(token)).status_code == 401


def test_an_api_key_goes_as_a_bearer_token_and_its_revocation_holds_at_once(request, backend_name, signin, base):
    """With sign-in on, a server's key is sent in Authorization too (the authorizer's identity)."""
    from algocloud.usecases.operator import Operator

    operator = (
        request.getfixturevalue("operator")  # keys in moto's API Gateway, as algocloud-admin makes them
        if backend_name == "aws"
        else Operator(signin.built.accounts, signin.built.keys, signin.built.members)
    )
    acme = tenant(signin, "Acme signin keys")
    issued = operator.issue_key(acme, role=Role.RUNNER)
    me = signin.get(f"{base}/me", headers=bearer(issued.value)).json()
    assert (me["tenant"], me["kind"], me["role"]) == (acme, "key", "runner")
    assert signin.get(f"{base}/me", headers=bearer("x" * 40)).status_code == 401
    operator.revoke_key(issued.record.key_id)
    assert signin.get(f"{base}/me", headers=bearer(issued.value)).status_code in (401, 403)


# -- forged and unwelcome tokens ------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(header: dict, claims: dict) -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"


def _claims(issuer: IssuerFiles, user: LocalUser, **changes) -> dict:
    now = int(time.time())
    return {"iss": issuer.issuer, "sub": user.subject, "aud": CLIENT_ID, "client_id": CLIENT_ID, "iat": now,
            "exp": now + 600, "email": user.email} | changes  # fmt: skip


def _signed(issuer: IssuerFiles, claims: dict, **header) -> str:
    private = jwt.PyJWK(json.loads((issuer.folder / "key.json").read_text())).key
    kid = issuer.public_jwks()["keys"][0]["kid"]
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": kid, **header})


def forgeries(issuer: IssuerFiles, user: LocalUser) -> dict[str, str]:
    kid = issuer.public_jwks()["keys"][0]["kid"]
    public_pem = jwt.PyJWK(issuer.public_jwks()["keys"][0]).key.public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo
    )
    hs256 = _unsigned({"alg": "HS256", "typ": "JWT", "kid": kid}, _claims(issuer, user))
    genuine = _signed(issuer, _claims(issuer, user))
    now = int(time.time())
    return {
        "alg none": _unsigned({"alg": "none", "typ": "JWT", "kid": kid}, _claims(issuer, user)) + ".",
        "HS256 with the public key": f"{hs256}.{_b64(hmac.new(public_pem, hs256.encode(), hashlib.sha256).digest())}",
        "wrong issuer": _signed(issuer, _claims(issuer, user, iss="https://evil.example")),
        "wrong audience": _signed(issuer, _claims(issuer, user, aud="another-app", client_id="another-app")),
        "expired": _signed(issuer, _claims(issuer, user, iat=now - 7200, exp=now - 3600)),
        "not yet valid": _signed(issuer, _claims(issuer, user, nbf=now + 3600)),
        "unknown kid": _signed(issuer, _claims(issuer, user), kid="not-a-key-of-the-provider"),
        "stripped signature": genuine.rsplit(".", 1)[0] + ".",
        "altered claims": ".".join(
            [
                genuine.split(".")[0],
                _b64(json.dumps(_claims(issuer, user, sub="someone-else")).encode()),
                genuine.split(".")[2],
            ]
        ),
    }


def test_forged_tokens_are_refused_with_401_and_a_log_line(signin, issuer, base, caplog):
    acme = tenant(signin, "Acme forgeries")
    eve = member(signin, issuer, "eve@acme.example", acme, Role.ADMIN)
    before = signin.get(f"{base}/sessions", headers=bearer(issuer.mint(eve))).json()
    logged = len(signin.built.audit.entries("unknown"))
    forged = forgeries(issuer, eve)
    for name, token in forged.items():
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            answer = signin.post(f"{base}/sessions", json={"display_name": name}, headers=bearer(token))
        assert answer.status_code == 401, (name, answer.status_code, answer.text)
        assert any("sign-in refused" in r.getMessage() for r in caplog.records), name
    assert signin.get(f"{base}/sessions", headers=bearer(issuer.mint(eve))).json() == before
    refusals = signin.built.audit.entries("unknown")[logged:]  # by the API, or by the authorizer on aws
    assert len(refusals) == len(forged) and {e.status for e in refusals} == {401}


def test_a_removed_member_and_another_tenants_header_are_refused(signin, issuer, base, caplog):
    acme, other = tenant(signin, "Acme unwelcome"), tenant(signin, "Other unwelcome")
    gone = member(signin, issuer, "gone@acme.example", acme, Role.EDITOR)
    signin.built.members.remove_member(acme, issuer.issuer, gone.subject)
    outsider = member(signin, issuer, "out@other.example", other, Role.ADMIN)
    member(signin, issuer, "in@acme.example", acme, Role.ADMIN)
    cases = {
        "removed member": bearer(issuer.mint(gone)),
        "another tenant's header": {**bearer(issuer.mint(outsider)), "x-algocloud-tenant": acme},
    }
    for name, headers in cases.items():
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            answer = signin.get(f"{base}/sessions", headers=headers)
        assert answer.status_code == 401, (name, answer.text)
        assert any("sign-in refused" in r.getMessage() for r in caplog.records), name


def test_the_role_table_holds_for_every_operation_with_real_tokens(signin, issuer, base, root):
    """Anonymous: 401 everywhere; each role below the one an operation needs: 403; the role it
    needs: neither (through the authorizer on the aws backend)."""
    from algocloud.domain.identity import POLICY
    from tests.api.test_roles import ROLES, _concrete, operations

    acme = tenant(signin, "Acme matrix")
    tokens = {role: issuer.mint(member(signin, issuer, f"{role}@matrix.example", acme, role)) for role in ROLES}
    open_documents = {"/openapi.json", "/docs", "/redoc"}
    for operation_id, (method, path) in operations(signin).items():
        url = root + _concrete(path)
        if path not in open_documents:
            assert signin.request(method, url, json={}).status_code == 401, operation_id
        needed = POLICY[operation_id]
        for role in ROLES:
            answer = signin.request(method, url, json={}, headers=bearer(tokens[role]))
            if role.includes(needed):
                assert answer.status_code not in (401, 403), (operation_id, role, answer.text)
            else:
                assert answer.status_code == 403 and f"needs the {needed} role" in answer.json()["detail"], (
                    operation_id,
                    role,
                    answer.text,
                )


def test_a_private_session_exists_for_its_maker_and_the_admins_only(signin, issuer, base):
    acme = tenant(signin, "Acme private")
    ann = bearer(issuer.mint(member(signin, issuer, "ann@private.example", acme, Role.EDITOR)))
    vic = bearer(issuer.mint(member(signin, issuer, "vic@private.example", acme, Role.EDITOR)))
    boss = bearer(issuer.mint(member(signin, issuer, "boss@private.example", acme, Role.ADMIN)))
    for name in ("mine 1", "mine 2", "mine 3"):
        made = signin.post(f"{base}/sessions", json={"display_name": name, "visibility": "private"}, headers=ann)
        assert made.status_code == 201, made.text
        assert all(set(s) == {"id", "display_name"} for s in made.json()["sessions"])  # the reference's shape
    assert signin.post(f"{base}/sessions", json={"display_name": "shared"}, headers=vic).status_code == 201

    def names(headers, limit=None) -> list[str]:
        found, cursor = [], None
        while True:
            query = {"limit": limit} if limit else {}
            if cursor:
                query["cursor"] = cursor
            page = signin.get(f"{base}/sessions", params=query, headers=headers)
            assert page.status_code == 200, page.text
            found += [s["display_name"] for s in page.json()["sessions"]]
            cursor = page.headers.get("x-next-cursor")
            if not limit or not cursor:
                return found

    everything = ["main", "mine 1", "mine 2", "mine 3", "shared"]
    assert names(ann) == names(boss) == everything
    assert names(vic) == names(vic, limit=1) == names(vic, limit=2) == ["main", "shared"]  # pages skip, never lose
    hidden = next(
        s["id"] for s in signin.get(f"{base}/sessions", headers=ann).json()["sessions"] if s["display_name"] == "mine 1"
    )
    for method, path in (("GET", f"/sessions/{hidden}/scenarios"), ("GET", f"/sessions/{hidden}/data"),
                         ("DELETE", f"/sessions/{hidden}"), ("POST", f"/sessions/{hidden}/copy")):  # fmt: skip
        answer = signin.request(method, f"{base}{path}", json={"new_display_name": "stolen"}, headers=vic)
        assert answer.status_code == 404 and "not found" in answer.json()["detail"], (method, path, answer.text)
    assert signin.get(f"{base}/sessions/{hidden}/scenarios", headers=boss).status_code == 200
    health = signin.get(base.rsplit("/api/v1", 1)[0] + "/health", headers=vic).json()
    assert health["sessions"] == ["main", "shared"]
    stored = signin.built.stores.sessions.find_session(acme, hidden)
    assert (
        stored.private
        and stored.created_by.startswith("user:")
        and stored.created_by.endswith(
            next(m.subject for m in signin.built.members.members_of(acme) if m.email == "ann@private.example")
        )
    )


def test_records_name_who_made_them(signin, issuer, base):
    acme = tenant(signin, "Acme makers")
    admin_user = member(signin, issuer, "adm@makers.example", acme, Role.ADMIN)
    actor = f"user:{issuer.issuer} {admin_user.subject}"
    headers = bearer(issuer.mint(admin_user))
    sid = signin.get(f"{base}/sessions", headers=headers).json()["default"]
    body = {"tag": "made", "dataset_key": "Master data", "algo_name": "Greedy"}
    made = signin.post(f"{base}/sessions/{sid}/scenarios", json=body, headers=headers)
    assert made.status_code in (200, 201), made.text
    hook = signin.post(f"{base}/webhooks", json={"url": "https://hooks.example/in"}, headers=headers)
    assert hook.status_code == 201, hook.text
    built = signin.built
    assert built.stores.scenarios.get_scenario(acme, sid, made.json()["id"]).created_by == actor
    assert [h.created_by for h in built.webhooks.webhooks(acme)] == [actor]
    copied = signin.post(f"{base}/sessions/{sid}/copy", json={"new_display_name": "copy by adm"}, headers=headers)
    assert copied.status_code == 201
    copy = built.stores.sessions.find_session(acme, "copy by adm")
    assert copy.created_by == actor and not copy.private
