"""The storage contract, held by the local media root and by an S3 bucket (moto's stand-in
for S3, in process); and a clip processed and served with its files in the bucket."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from flask import Flask
from flask.testing import FlaskClient
from moto import mock_aws
from sqlalchemy.orm import Session

from tests.features.video_support import make_clip, upload
from trainer.accounts.models import Role
from trainer.video.models import Clip, ClipStatus
from trainer.video.storage import LocalStorage, S3Storage, Storage, storage_from_config

BUCKET = "trainer-clips"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


@pytest.fixture(params=["local", "s3"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "media")
    request.getfixturevalue("aws")
    return S3Storage(BUCKET, prefix="site-a")


def a_file(folder: Path, name: str, body: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(body)
    return path


def test_storage_contract(storage: Storage, tmp_path: Path) -> None:
    source = a_file(tmp_path / "in", "a.mp4", b"0123456789")
    assert storage.put("clips/1/r1/720p.mp4", source) == 10
    assert not source.exists()  # moved in, not copied
    assert storage.size("clips/1/r1/720p.mp4") == 10
    assert storage.size("clips/1/r1/missing.mp4") is None
    storage.fetch("clips/1/r1/720p.mp4", tmp_path / "back.mp4")
    assert (tmp_path / "back.mp4").read_bytes() == b"0123456789"
    storage.put("clips/1/r1/poster.jpg", a_file(tmp_path / "in", "p.jpg", b"jpg"))
    storage.put("clips/2/original.mp4", a_file(tmp_path / "in", "o.mp4", b"other"))
    storage.delete("clips/1/r1/poster.jpg")
    storage.delete("clips/1/r1/poster.jpg")  # deleting twice is fine
    assert storage.size("clips/1/r1/poster.jpg") is None
    storage.delete_prefix("clips/1")
    assert storage.size("clips/1/r1/720p.mp4") is None
    assert storage.size("clips/2/original.mp4") == 5  # another clip's files stay


@pytest.mark.parametrize("key", ["../secret", "clips/../../etc/passwd", "/etc/passwd",
                                 "clips//1", "Clips/1.mp4", "clips/1/a b.mp4", ""])
def test_keys_cannot_leave_the_store(storage: Storage, key: str, tmp_path: Path) -> None:
    source = a_file(tmp_path / "in", "a.mp4", b"x")
    with pytest.raises(ValueError, match="bad storage key"):
        storage.put(key, source)
    with pytest.raises(ValueError, match="bad storage key"):
        storage.size(key)


def test_local_paths_only_on_the_local_disk(tmp_path: Path, aws: Any) -> None:
    local = LocalStorage(tmp_path / "media")
    local.put("clips/1/a.mp4", a_file(tmp_path / "in", "a.mp4", b"x"))
    assert local.local_path("clips/1/a.mp4") == tmp_path / "media" / "clips/1/a.mp4"
    bucket = S3Storage(BUCKET)
    bucket.put("clips/1/a.mp4", a_file(tmp_path / "in", "a.mp4", b"x"))
    assert bucket.local_path("clips/1/a.mp4") is None
    assert "clips/1/a.mp4" in bucket.url("clips/1/a.mp4") and "Signature" in bucket.url(
        "clips/1/a.mp4")


def test_a_clip_processed_and_served_from_a_bucket(app: Flask, client: FlaskClient,
                                                  login_as: Any, csrf: Any, db: Session,
                                                  tmp_path: Path, aws: Any) -> None:
    app.config.update(S3_BUCKET=BUCKET, S3_PREFIX="site-a")
    assert isinstance(storage_from_config(app.config), S3Storage)
    login_as(Role.TRAINER)
    data = make_clip(tmp_path / "visit.mp4", seconds=1.0, size="640x360").read_bytes()
    response = upload(client, csrf(), data)
    assert response.status_code == 204, response.get_data(as_text=True)
    clip = db.get(Clip, int(response.headers["Clip-Location"].rsplit("/", 1)[1]))
    assert clip is not None and clip.status == ClipStatus.READY
    names = {item["Key"] for item in aws.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert f"site-a/{clip.original_key}" in names
    assert f"site-a/{clip.renditions['360p']['key']}" in names
    media = client.get(f"/clips/{clip.id}/media/360p")
    assert media.status_code == 302 and "Signature" in media.headers["Location"]
    assert media.headers["Cache-Control"] == "no-store"
    stored = aws.get_object(Bucket=BUCKET, Key=f"site-a/{clip.renditions['360p']['key']}")
    assert stored["ContentType"] == "video/mp4"
    client.post(f"/clips/{clip.id}/delete", data={"csrf_token": csrf()})
    assert aws.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    assert not list((Path(app.config["MEDIA_ROOT"]) / "uploads").iterdir())
