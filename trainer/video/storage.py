"""Where clip files live: the local media root by default, or an S3-compatible bucket behind
the same interface.

Keys are made by the application (`clips/<id>/720p.mp4`), never from a user's file name, and
are checked again here so that no key can name a file outside the root.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from werkzeug.security import safe_join

KEY = re.compile(r"^[a-z0-9_-]+(/[a-z0-9_-]+)*(\.[a-z0-9]+)?$")


class Storage(Protocol):
    """What the video feature needs from a store of files."""

    def put(self, key: str, source: Path) -> int:
        """Move the local file `source` in under `key`; return its size in bytes."""

    def local_path(self, key: str) -> Path | None:
        """The file on this machine's disk, when the store has one (for sending and ffmpeg)."""

    def fetch(self, key: str, destination: Path) -> None:
        """Copy the object to a local file."""

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object under `prefix` (a folder of keys)."""

    def delete(self, key: str) -> None:
        """Delete one object (absent is fine)."""

    def size(self, key: str) -> int | None:
        """The object's size in bytes, or None when it does not exist."""


def checked(key: str) -> str:
    """`key` if it is a well-formed key, else ValueError (a bug, never user input)."""
    if not KEY.match(key) or ".." in key:
        raise ValueError(f"bad storage key {key!r}")
    return key


class LocalStorage:
    """Files under a folder on the local disk (the media root)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        joined = safe_join(str(self.root), checked(key))
        if joined is None:  # pragma: no cover - `checked` already refuses such keys
            raise ValueError(f"key {key!r} escapes the media root")
        return Path(joined)

    def put(self, key: str, source: Path) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(source, target)
        return target.stat().st_size

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def fetch(self, key: str, destination: Path) -> None:
        shutil.copyfile(self._path(key), destination)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(self._path(prefix), ignore_errors=True)

    def size(self, key: str) -> int | None:
        path = self._path(key)
        return path.stat().st_size if path.is_file() else None


def uploads_folder(media_root: Path) -> Path:
    """Where uploads are received before they become clips (always on the local disk)."""
    folder = media_root / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def work_folder(media_root: Path, clip_id: int, job: str) -> Path:
    """A scratch folder for one job on a clip (`r3` for run 3, `offline-en`...), emptied
    first; jobs of one clip never share one."""
    folder = media_root / "work" / str(clip_id) / job
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def remove_quietly(path: Path) -> None:
    """Remove a file or folder if it is there."""
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink()


class S3Storage:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, OSS...), under a prefix.

    Credentials come from boto3's usual sources (AWS_ACCESS_KEY_ID and friends, a profile,
    an instance role). Files are sent to browsers through short-lived presigned URLs, so the
    bucket itself stays private.
    """

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, client: Any = None) -> None:
        if client is None:
            import boto3  # only a deployment with a bucket needs it loaded

            client = boto3.client("s3", endpoint_url=endpoint_url or None,
                                  region_name=region or None)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def _name(self, key: str) -> str:
        return self.prefix + checked(key)

    def put(self, key: str, source: Path) -> int:
        size = source.stat().st_size
        self.client.upload_file(str(source), self.bucket, self._name(key),
                                ExtraArgs={"ContentType": content_type(key)})
        source.unlink()
        return size

    def local_path(self, key: str) -> Path | None:
        return None

    def fetch(self, key: str, destination: Path) -> None:
        self.client.download_file(self.bucket, self._name(key), str(destination))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def delete_prefix(self, prefix: str) -> None:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._name(prefix) + "/")
        for page in pages:
            objects = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if objects:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": objects})

    def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return int(head["ContentLength"])

    def url(self, key: str, *, seconds: int = 300, download_name: str | None = None) -> str:
        """A presigned GET URL, valid for `seconds` (ranges and seeking work against it)."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self._name(key)}
        if download_name is not None:
            params["ResponseContentDisposition"] = attachment(download_name)
        return str(self.client.generate_presigned_url("get_object", Params=params,
                                                      ExpiresIn=seconds))


def attachment(name: str) -> str:
    """A Content-Disposition for downloading `name` (RFC 6266: an ASCII fallback, and the
    real name, Chinese included, percent-encoded)."""
    fallback = "".join(char if char.isascii() and char.isprintable() and char not in '"\\;'
                       else "_" for char in name) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


TYPES = {"mp4": "video/mp4", "jpg": "image/jpeg", "webm": "video/webm",
         "mov": "video/quicktime", "mkv": "video/x-matroska", "vtt": "text/vtt"}


def content_type(key: str) -> str:
    """The MIME type of a stored file, from the extension the application gave it."""
    return TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")


def storage_from_config(config: Mapping[str, Any]) -> Storage:
    """The store the settings name: an S3 bucket when S3_BUCKET is set, else the media root
    on the local disk."""
    if config.get("S3_BUCKET"):
        return S3Storage(config["S3_BUCKET"], prefix=config.get("S3_PREFIX") or "",
                         endpoint_url=config.get("S3_ENDPOINT_URL"),
                         region=config.get("S3_REGION"))
    return LocalStorage(Path(config["MEDIA_ROOT"]))
