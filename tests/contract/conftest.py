"""The ports of one backend (both, by `backend_name`), and a session in them."""

from __future__ import annotations

import pytest

from algocloud.domain.ids import new_id
from algocloud.domain.ports import SessionRecord

from .records import TENANT, dataset


@pytest.fixture
def adapters(settings):
    from algocloud.adapters.factory import build_adapters

    return build_adapters(settings)


@pytest.fixture
def repo(adapters):
    return adapters.repo


@pytest.fixture
def session(repo) -> SessionRecord:
    record = SessionRecord(new_id(), "first")
    assert repo.create_session(TENANT, record, [dataset()])
    return record
