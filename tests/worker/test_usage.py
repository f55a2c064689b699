"""Usage metering: exact counters per tenant and day, each event once, whatever is redelivered."""

import pytest

from algocloud.domain.accounts import day_of
from algocloud.domain.errors import InvalidRequest


def test_counters_are_exact_after_a_burst_of_runs_with_duplicate_deliveries(api, driver, backend, client, base):
    made = [api.create("Instant") for _ in range(6)] + [
        api.create("Failure Modes", {"mode": "exception"}) for _ in range(2)
    ]
    for scenario in made:
        api.run(scenario)
    delivered = []
    while received := driver.receive():  # each message handled, then the very same one again
        driver.deliver(received)
        delivered += received
    for message in delivered:
        backend.send_raw(message.body, f"dup-{message.message_id}", "dup")
    driver.drain()
    cancelled = api.create("Slow", {"duration": 30})
    api.run(cancelled)
    client.post(f"{api.scenarios}/{cancelled['id']}/cancel")
    driver.drain()  # its message finds it cancelled: counted once, by the cancel

    usage = client.get(f"{base}/usage").json()
    [today] = usage["days"]
    assert today["day"] == day_of(None)
    assert (today["runs_started"], today["runs_completed"], today["runs_failed"]) == (8, 6, 3)
    assert 0 < today["compute_seconds"] < 30 and usage["totals"]["runs_completed"] == 6
    assert today["api_requests"] is None  # counted by API Gateway only where it counts


def test_ingestion_counts_bytes_and_rows_read_and_stored(client, base, main_id):
    from algocloud.example.generate import DATA_DIR

    files = sorted(DATA_DIR.glob("*.csv"))
    sent = sum(path.stat().st_size for path in files)
    answer = client.post(
        f"{base}/sessions/{main_id}/etl",
        data={"dataset_name": "counted"},
        files=[("files", (p.name, p.read_bytes(), "text/csv")) for p in files],
    )
    assert answer.status_code == 200 and answer.json()["success"]
    rows = sum(t["rows"] for t in client.get(f"{base}/sessions/{main_id}/data/counted/tables").json()["tables"])
    [today] = client.get(f"{base}/usage").json()["days"]
    assert today["bytes_ingested"] == sent and today["rows_ingested"] == rows > 150
    assert today["bytes_stored"] > 0


def test_a_repeated_event_id_adds_nothing_and_bad_ranges_are_refused(accounts, client, base):
    from algocloud.domain.accounts import RUNS_COMPLETED

    assert accounts.count("default", "2026-01-02", "finished:x", {RUNS_COMPLETED: 1})
    assert not accounts.count("default", "2026-01-02", "finished:x", {RUNS_COMPLETED: 1})
    [day] = accounts.usage("default", "2026-01-01", "2026-01-31")
    assert day.counters[RUNS_COMPLETED] == 1
    with pytest.raises(ValueError, match="not usage counters"):
        accounts.count("default", "2026-01-02", "other", {"free_money": 1})
    assert (
        client.get(f"{base}/usage", params={"from": "2026-01-01", "to": "2026-01-31"}).json()["days"][0][
            "runs_completed"
        ]
        == 1
    )
    for bad in ({"from": "yesterday"}, {"from": "2026-02-01", "to": "2026-01-01"}, {"from": "2020-01-01"}):
        refused = client.get(f"{base}/usage", params=bad)
        assert refused.status_code == 400 and refused.json()["detail"], bad
    with pytest.raises(InvalidRequest):
        accounts.get_key("../x")
