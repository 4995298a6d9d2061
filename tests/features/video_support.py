"""Test clips made with ffmpeg, and a tus client for the Flask test client."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
from flask.testing import FlaskClient

from trainer.video.media import pattern_clip as make_clip  # noqa: F401 - the tests import it here


def frame_at(path: Path, seconds: float) -> np.ndarray:
    """One RGB frame of a video (height x width x 3)."""
    reader = imageio_ffmpeg.read_frames(str(path), input_params=["-ss", str(seconds)])
    try:
        width, height = next(reader)["size"]
        raw = next(reader)
    finally:
        reader.close()
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


def tus_headers(csrf: str, **extra: str) -> dict[str, str]:
    return {"Tus-Resumable": "1.0.0", "X-CSRFToken": csrf, **extra}


def metadata(**values: str) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}"
                    for key, value in values.items())


def create(client: FlaskClient, csrf: str, length: int, filename: str = "visit.mp4",
           title: str = "入户访问") -> Any:
    return client.post("/clips/uploads", headers=tus_headers(
        csrf, **{"Upload-Length": str(length),
                 "Upload-Metadata": metadata(filename=filename, title=title)}))


def patch(client: FlaskClient, csrf: str, location: str, offset: int, body: bytes) -> Any:
    return client.patch(location, data=body, headers=tus_headers(
        csrf, **{"Upload-Offset": str(offset),
                 "Content-Type": "application/offset+octet-stream"}))


def upload(client: FlaskClient, csrf: str, data: bytes, *, filename: str = "visit.mp4",
           chunk: int = 256 * 1024) -> Any:
    """Send a whole file in chunks; return the last response."""
    created = create(client, csrf, len(data), filename)
    assert created.status_code == 201, created.get_data(as_text=True)
    location = created.headers["Location"]
    response = None
    for offset in range(0, len(data), chunk):
        response = patch(client, csrf, location, offset, data[offset:offset + chunk])
        if response.status_code != 204:
            return response
    return response
