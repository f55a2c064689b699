"""The run queue's contract (SQS FIFO in moto, the SQLite queue): group order, deduplication,
visibility, redelivery, dead-lettering, and order across a restart."""

from __future__ import annotations

import json
import uuid


def send(backend, group, body, dedup=None):
    backend.send_raw(json.dumps(body), group, dedup or str(uuid.uuid4()))


def bodies(messages):
    return [json.loads(m.body) for m in messages]


def test_a_group_hands_out_one_message_at_a_time_in_order(backend):
    for n in range(3):
        send(backend, "g1", {"n": n})
    send(backend, "g2", {"n": 10})
    [head] = backend.runs.receive(1, 30)
    assert bodies([head]) == [{"n": 0}]
    assert bodies(backend.runs.receive(1, 30)) == [{"n": 10}]  # g1 is blocked while n=0 is in flight
    assert backend.runs.receive(1, 30) == []
    backend.runs.delete([head.receipt])
    assert bodies(backend.runs.receive(1, 30)) == [{"n": 1}]


def test_deduplication_accepts_the_same_id_once(backend):
    send(backend, "g", {"n": 1}, dedup="same")
    send(backend, "g", {"n": 2}, dedup="same")
    assert bodies(backend.runs.receive(10, 30)) == [{"n": 1}]
    assert backend.queue_counts() == (0, 1)


def test_visibility_timeout_redelivers_with_a_growing_receive_count(backend):
    send(backend, "g", {"n": 1})
    [first] = backend.runs.receive(1, 30)
    assert first.receive_count == 1
    backend.runs.change_visibility(first.receipt, 0)  # as if its timeout ran out
    [second] = backend.runs.receive(1, 30)
    assert second.message_id == first.message_id and second.receive_count == 2
    backend.runs.delete([second.receipt])
    assert backend.queue_counts() == (0, 0)


def test_a_message_received_too_often_moves_to_the_dead_letter_queue_in_order(backend):
    send(backend, "g", {"n": 1})
    send(backend, "g", {"n": 2})
    for attempt in range(1, 6):  # maxReceiveCount 5, as in the template
        [message] = backend.runs.receive(1, 0)
        assert json.loads(message.body) == {"n": 1} and message.receive_count == attempt
    [next_one] = backend.runs.receive(1, 30)  # the sixth receive redrives n=1; n=2 comes next
    assert json.loads(next_one.body) == {"n": 2}
    [dead] = backend.dead_letters.receive(1, 30)
    assert json.loads(dead.body) == {"n": 1}


def test_messages_and_their_order_survive_a_restart(backend, reopen):
    for n in range(4):
        send(backend, "g", {"n": n})
    [in_flight] = backend.runs.receive(1, 30)
    _stores, again = reopen()
    if again.name == "embedded":  # a new stack's start hands out what the old one held
        again.runs.release_in_flight()
    else:
        again.runs.change_visibility(in_flight.receipt, 0)
    order = []
    while messages := again.runs.receive(1, 30):
        order += bodies(messages)
        again.runs.delete([m.receipt for m in messages])
    assert order == [{"n": n} for n in range(4)]
