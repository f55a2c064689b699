"""The dataset store's contract, on both backends: scenarios' references guard deletes and
overwrites, also when they race."""

from __future__ import annotations

import pytest

from algocloud.domain.errors import Conflict, NotFound
from algocloud.domain.stores import DatasetRecord

from .records import TENANT, dataset, race, scenario


def test_reference_counts_guard_dataset_deletes_and_overwrites(stores, session):
    first, second = scenario("a"), scenario("b")
    stores.scenarios.create_scenario(TENANT, session.id, first)
    stores.scenarios.create_scenario(TENANT, session.id, second)
    assert stores.datasets.get_dataset(TENANT, session.id, "data").refs == 2
    with pytest.raises(Conflict):
        stores.datasets.delete_dataset(TENANT, session.id, "data")
    with pytest.raises(Conflict):
        stores.datasets.put_dataset(TENANT, session.id, dataset(), overwrite=True)
    with pytest.raises(Conflict):
        stores.datasets.put_dataset(TENANT, session.id, dataset(), overwrite=False)
    with pytest.raises(NotFound):
        stores.scenarios.create_scenario(TENANT, session.id, scenario("c", data="missing"))
    stores.scenarios.delete_scenario(TENANT, session.id, first)
    stores.scenarios.delete_scenario(TENANT, session.id, second)
    with pytest.raises(NotFound):
        stores.scenarios.delete_scenario(TENANT, session.id, second)
    assert stores.datasets.get_dataset(TENANT, session.id, "data").refs == 0
    previous = stores.datasets.put_dataset(TENANT, session.id, dataset(), overwrite=True)
    assert previous is not None and previous.object_key == "obj/data"
    assert stores.datasets.delete_dataset(TENANT, session.id, "data").key == "data"
    with pytest.raises(NotFound):
        stores.datasets.delete_dataset(TENANT, session.id, "data")


def test_creates_racing_a_dataset_delete_never_leave_a_dangling_reference(stores, session):
    def act(index):
        if index == 0:
            return stores.datasets.delete_dataset(TENANT, session.id, "data")
        return stores.scenarios.create_scenario(TENANT, session.id, scenario(f"r{index}"))

    outcomes = race(6, act)
    record = stores.datasets.get_dataset(TENANT, session.id, "data")
    created = sum(o is None for o in outcomes[1:])
    if isinstance(outcomes[0], DatasetRecord):
        assert record is None and created == 0
    else:
        assert record is not None and record.refs == created == len(stores.scenarios.list_scenarios(TENANT, session.id))


def test_datasets_are_put_listed_and_replaced_only_when_asked(stores, session):
    assert [d.key for d in stores.datasets.list_datasets(TENANT, session.id)] == ["data"]
    second = dataset("second")
    assert stores.datasets.put_dataset(TENANT, session.id, second, overwrite=False) is None
    assert stores.datasets.get_dataset(TENANT, session.id, "second") == second
    assert sorted(d.key for d in stores.datasets.list_datasets(TENANT, session.id)) == ["data", "second"]
    with pytest.raises(Conflict):
        stores.datasets.put_dataset(TENANT, session.id, dataset("second"), overwrite=False)
    with pytest.raises(NotFound):
        stores.datasets.put_dataset(TENANT, "no-such-session", dataset("x"), overwrite=False)
    replacement = dataset("second")
    assert stores.datasets.put_dataset(TENANT, session.id, replacement, overwrite=True) == second
    assert stores.datasets.get_dataset(TENANT, session.id, "second") == replacement
