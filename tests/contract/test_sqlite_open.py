"""Embedded stores opened while another connection holds a new file (containers starting together)."""

import sqlite3
import threading


def test_a_store_opens_while_another_connection_holds_the_new_file(tmp_path):
    from algocloud.adapters.embedded.accounts import SqliteAccounts

    path = tmp_path / "store.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # as another process creating its schema
    holder.execute("CREATE TABLE other (x)")
    threading.Timer(0.3, lambda: holder.execute("COMMIT")).start()
    accounts = SqliteAccounts(path)  # switching to WAL must wait for it, not fail with "database is locked"
    assert accounts.list_tenants() == []
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
