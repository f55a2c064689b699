"""The ports of one backend (both, by `backend_name`), and a session in them."""

from __future__ import annotations

import pytest

from algocloud.domain.ids import new_id
from algocloud.domain.stores import SessionRecord

from .records import TENANT, dataset


@pytest.fixture
def adapters(settings):
    from algocloud.adapters.factory import build_adapters

    return build_adapters(settings)


@pytest.fixture
def stores(adapters):
    return adapters.stores


@pytest.fixture
def session(stores) -> SessionRecord:
    record = SessionRecord(new_id(), "first")
    assert stores.sessions.create_session(TENANT, record, [dataset()])
    return record


@pytest.fixture
def reopen(settings, request):
    """The same backend opened afresh, as after a restart (embedded: new connections)."""

    def again():
        from algocloud.adapters.factory import build_adapters
        from tests.support import Backend, clear_caches

        clear_caches()
        return build_adapters(settings).stores, Backend.for_settings(settings, request)

    return again
