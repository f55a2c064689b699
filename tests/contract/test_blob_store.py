"""The blob store's contract (S3 in moto, files), and the file store's own signed URLs and parts."""

from __future__ import annotations

import pytest


def test_blob_store_put_get_copy_delete(adapters):
    blobs = adapters.blobs
    blobs.put("tenants/t/sessions/s/a.json", b'{"a": 1}', "application/json")
    blobs.put("tenants/t/sessions/s/results/x/r.json", b"[]", "application/json")
    blobs.copy("tenants/t/sessions/s/a.json", "tenants/t/sessions/c/a.json")
    assert blobs.get("tenants/t/sessions/c/a.json") == b'{"a": 1}'
    blobs.delete_prefix("tenants/t/sessions/s/")
    blobs.delete(["tenants/t/sessions/c/missing.json"])  # deleting nothing is fine
    with pytest.raises(Exception):  # noqa: B017 - NoSuchKey (S3) / KeyError (files)
        blobs.get("tenants/t/sessions/s/a.json")
    assert blobs.get("tenants/t/sessions/c/a.json") == b'{"a": 1}'
    assert "a.json" in blobs.presigned_get_url("tenants/t/sessions/c/a.json")


def test_blob_sizes_and_multipart_uploads(adapters):
    blobs = adapters.blobs
    key = "uploads/t/s/u/file"
    assert blobs.size(key) is None
    with pytest.raises(KeyError):
        blobs.get(key)
    upload_id = blobs.uploads.start_multipart(key, "text/csv")
    assert blobs.uploads.presigned_part_url(key, upload_id, 1, 5 * 1024 * 1024, 60)
    blobs.uploads.abort_multipart(key, upload_id)
    with pytest.raises(KeyError):
        blobs.uploads.complete_multipart(key, upload_id, ['"x"'])
    blobs.uploads.abort_multipart(key, upload_id)  # twice is fine
    blobs.put(key, b"12345", "text/csv")
    assert blobs.size(key) == 5
    post = blobs.uploads.presigned_post("uploads/t/s/v/file", 10, "text/csv", 60)
    assert post.url and post.fields


def test_local_presigned_urls_are_signed_and_expire(tmp_path):
    from algocloud.adapters.embedded.blobs import FileBlobStore

    blobs = FileBlobStore(tmp_path / "blobs", "http://127.0.0.1:1", tmp_path / "key")
    blobs.put("tenants/t/a.json", b"{}", "application/json")
    url = blobs.presigned_get_url("tenants/t/a.json", expires_seconds=60)
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    assert blobs.verify("tenants/t/a.json", int(query["expires"]), query["signature"])
    assert not blobs.verify("tenants/t/b.json", int(query["expires"]), query["signature"])  # another object
    assert not blobs.verify("tenants/t/a.json", int(query["expires"]) + 1, query["signature"])  # tampered
    expired = blobs.presigned_get_url("tenants/t/a.json", expires_seconds=-1)
    query = dict(part.split("=") for part in expired.split("?")[1].split("&"))
    assert not blobs.verify("tenants/t/a.json", int(query["expires"]), query["signature"])
    other_key = FileBlobStore(tmp_path / "blobs", "http://127.0.0.1:1", tmp_path / "other-key")
    assert not other_key.verify("tenants/t/a.json", int(query["expires"]) + 120, query["signature"])
    for bad in ("../x", "/etc/passwd", "a//b", "a/./b"):
        with pytest.raises(ValueError):
            blobs.path(bad)


def test_local_multipart_parts_are_checked_and_joined(tmp_path):
    from algocloud.adapters.embedded.blobs import FileBlobStore, TooLarge

    blobs = FileBlobStore(tmp_path / "blobs", "http://127.0.0.1:1", tmp_path / "key")
    key = "tenants/t/sessions/s/uploads/a/file"
    upload_id = blobs.uploads.start_multipart(key, "text/csv")
    first = blobs.write_part(key, upload_id, 1, [b"hello "])
    second = blobs.write_part(key, upload_id, 2, [b"world"])
    with pytest.raises(KeyError):
        blobs.write_part("tenants/t/sessions/s/uploads/other/file", upload_id, 3, [b"x"])  # another object's
    with pytest.raises(ValueError, match="does not match"):
        blobs.uploads.complete_multipart(key, upload_id, [second, first])
    with pytest.raises(ValueError, match="not uploaded"):
        blobs.uploads.complete_multipart(key, upload_id, [first, second, first])
    blobs.uploads.complete_multipart(key, upload_id, [first, second])
    assert blobs.get(key) == b"hello world"
    assert not (tmp_path / "multipart" / upload_id).exists()
    blobs.uploads.start_multipart("tenants/t/sessions/s/uploads/c/file", "text/csv")  # never completed
    post = blobs.uploads.presigned_post("uploads/b/file", 4, "text/csv", 60)
    fields = post.fields
    assert blobs.verify_post(fields["key"], 4, int(fields["expires"]), fields["signature"])
    assert not blobs.verify_post(fields["key"], 5, int(fields["expires"]), fields["signature"])  # bigger: refused
    with pytest.raises(TooLarge):
        blobs.write_upload("uploads/b/file", __import__("io").BytesIO(b"12345"), 4)
    assert blobs.size("uploads/b/file") is None  # nothing half-written
    blobs.put("tenants/t/sessions/s/datasets/d.json", b"{}", "application/json")
    assert blobs.expire_uploads(older_than_seconds=3600) == 0  # nothing is a day old yet
    assert blobs.expire_uploads(older_than_seconds=-1) == 2  # everything is older than the future
    assert blobs.size(key) is None and blobs.size("tenants/t/sessions/s/datasets/d.json") == 2
