"""Video inputs: telling a video source from an image, reading and checking it.

A video comes as a local path with a video extension or as a ``data:video/...`` URI; it is
checked with OpenCV (it must open and have frames) so a broken file is a clear input error,
not a failure deep in the video expert.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

import cv2

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")
MAX_VIDEO_BYTES = 200 * 1024 * 1024
_DATA = re.compile(r"^data:video/(?P<kind>[\w.+-]+);base64,(?P<data>.*)$", re.S)


class VideoError(ValueError):
    """A video source that cannot be used, with a message for the user."""


def is_video(source: str) -> bool:
    """Does ``source`` name a video (by data URI type or file extension)?"""
    if source.startswith("data:"):
        return source.startswith("data:video/")
    path = unquote(urlparse(source).path) if source.startswith("file:") else source
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def read_video(source: str, max_bytes: int = MAX_VIDEO_BYTES) -> tuple[bytes, str, str]:
    """(bytes, display name, file suffix) of a video source; checked to decode."""
    match = _DATA.match(source)
    if match:
        try:
            raw = base64.b64decode(match.group("data"), validate=True)
        except (binascii.Error, ValueError):
            raise VideoError("video data URI is not valid base64") from None
        suffix = "." + {"x-msvideo": "avi", "quicktime": "mov"}.get(match["kind"], match["kind"])
        name = "data-uri"
    else:
        path = Path(unquote(urlparse(source).path) if source.startswith("file:") else source)
        if not path.is_file():
            raise VideoError(f"video not found: {source}")
        if path.stat().st_size > max_bytes:
            raise VideoError(f"video too large: {path.stat().st_size} bytes (limit {max_bytes})")
        raw, name, suffix = path.read_bytes(), path.name, path.suffix.lower()
    if not raw:
        raise VideoError("empty video file (0 bytes)")
    if len(raw) > max_bytes:
        raise VideoError(f"video too large: {len(raw)} bytes (limit {max_bytes})")
    _check_decodes(raw, suffix)
    return raw, name, suffix


def _check_decodes(raw: bytes, suffix: str) -> None:
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        tmp.write(raw)
        tmp.flush()
        cap = cv2.VideoCapture(tmp.name)
        try:
            ok, _frame = cap.read()
        finally:
            cap.release()
    if not ok:
        raise VideoError("not a readable video (no frame could be decoded)")


def video_sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
