"""Embedded stores opened at the same moment on a new file (containers starting together)."""

from concurrent.futures import ThreadPoolExecutor


def test_stores_opened_at_once_on_a_new_file_all_open(tmp_path):
    from algocloud.adapters.embedded.accounts import SqliteAccounts
    from algocloud.adapters.embedded.repository import SqliteRepository

    path = tmp_path / "store.db"

    def open_both(_: int) -> bool:
        SqliteRepository(path).list_sessions("default")
        SqliteAccounts(path).list_tenants()
        return True

    for _ in range(5):
        path.unlink(missing_ok=True)
        with ThreadPoolExecutor(12) as pool:
            assert all(pool.map(open_both, range(24)))
