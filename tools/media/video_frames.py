"""Video → frames with timestamps, scene changes, OCR per keyframe, events by ``mm:ss``.

Frames are read with OpenCV (``cv2.VideoCapture``) in one sequential pass, decoding only
the frames sampled at ``fps`` (the rest are grabbed, not decoded). Times are frame index /
the file's frame rate, which is exact for constant-rate files (the position the decoder
reports drifts on some containers).

A scene change is a sampled frame whose share of changed pixels (grey, 320 px wide, a
change of > 25 levels) against the previous sample is at least ``min_change`` *and* three
times the lower-quartile share — so steady motion (a moving cursor, a talking head) is the
baseline, not an event. Changes in consecutive intervals whose sample in between is still
moving are one transition (a cross-fade caught mid-way). Each change is then located by
bisection between the samples around it (seeking; exact for intra-only codecs such as MJPG,
approximate for long-GOP ones): the first frame where half the pixels that change have
changed — the cut itself, or early in a fade. Each stretch between changes is read by OCR
on its middle frame, away from transitions, and adjacent stretches with the same text are
merged (motion, not content).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from tools.common.expert_schema import VideoAnalysis, VideoEvent
from tools.common.schema import TextBlock


def mmss(seconds: float) -> str:
    """``mm:ss`` (``h:mm:ss`` from an hour on), seconds rounded down."""
    s = max(0, int(seconds + 1e-6))
    h, m, sec = s // 3600, s // 60 % 60, s % 60
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


@dataclass
class Frame:
    """One sampled frame: its index in the file, its time in seconds, its pixels (RGB)."""

    index: int
    time: float
    image: Image.Image


@dataclass
class VideoInfo:
    fps: float
    frames: int
    width: int
    height: int

    @property
    def duration(self) -> float:
        return self.frames / self.fps if self.fps else 0.0


def _open(path: str | Path) -> tuple[cv2.VideoCapture, VideoInfo]:
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise ValueError(f"cannot open video {path}")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    if not 0 < fps < 1000:
        fps = 25.0  # the container does not say: the commonest rate
    info = VideoInfo(fps, int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
                     int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
                     int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    return cap, info


def _iter_samples(cap: cv2.VideoCapture, info: VideoInfo, fps: float,
                  max_frames: int) -> Iterator[tuple[int, np.ndarray]]:
    """(frame index, BGR) of the frames nearest to 0, 1/fps, 2/fps … in one pass."""
    step = info.fps / fps
    want, k, index = 0, 0, 0
    while k < max_frames:
        if not cap.grab():
            break
        if index >= want:
            ok, bgr = cap.retrieve()
            if ok:
                yield index, bgr
            k += 1
            want = round(k * step)
        index += 1


def sample_frames(path: str | Path, fps: float = 1.0, max_frames: int = 600) -> list[Frame]:
    """Frames at ``fps`` (at most ``max_frames``) with their times: what a video model
    is sent (each with its time, so its answer can cite ``mm:ss``)."""
    cap, info = _open(path)
    try:
        return [Frame(i, i / info.fps, Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
                for i, bgr in _iter_samples(cap, info, fps, max_frames)]
    finally:
        cap.release()


def _signature(bgr: np.ndarray) -> np.ndarray:
    """Grey, 320 px wide, lightly blurred: what frame differences are measured on."""
    h, w = bgr.shape[:2]
    small = cv2.resize(bgr, (320, max(1, round(h * 320 / w))), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY), (3, 3), 0)


def change_share(a: np.ndarray, b: np.ndarray, level: int = 25) -> float:
    """Share of pixels that changed by more than ``level`` between two signatures."""
    return float((cv2.absdiff(a, b) > level).mean())


def _read_at(cap: cv2.VideoCapture, index: int) -> np.ndarray | None:
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, bgr = cap.read()
    return bgr if ok else None


def _bisect(cap: cv2.VideoCapture, lo: int, hi: int, before: np.ndarray,
            after: np.ndarray) -> int:
    """First frame in (lo, hi] where at least half the pixels that differ between
    ``before`` and ``after`` have changed: the cut itself, or early in a cross-fade (a
    pixel passes the 25-level bar about an eighth of the way through)."""
    total = change_share(before, after)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        bgr = _read_at(cap, mid)
        if bgr is None:
            break
        if change_share(_signature(bgr), before) >= 0.5 * total:
            hi = mid
        else:
            lo = mid
    return hi


def _unsettled(cap: cv2.VideoCapture, index: int, min_change: float) -> bool:
    """The frame is part-way through a transition: the next frame differs from it (by a
    low 8-level bar, as a fade moves every pixel a little each frame)."""
    a, b = _read_at(cap, index), cap.read()[1]
    if a is None or b is None:
        return False
    return change_share(_signature(a), _signature(b), level=8) >= min_change


def analyze_video(path: str | Path, fps: float = 1.0, min_change: float = 0.004,
                  ocr: bool = True, refine: bool = True, max_frames: int = 3600) -> VideoAnalysis:
    """Events of a video: scene changes (to the frame with ``refine``) and the text of
    each stretch between them, indexed by time."""
    cap, info = _open(path)
    try:
        samples = [(i, _signature(bgr)) for i, bgr in _iter_samples(cap, info, fps, max_frames)]
        if not samples:
            raise ValueError(f"no frames could be decoded from {path}")
        shares = [change_share(a[1], b[1]) for a, b in itertools.pairwise(samples)]
        # The quietest quarter of the intervals is the steady motion; with few samples the
        # median may itself be a change.
        base = float(np.percentile(shares, 25, method="lower")) if shares else 0.0
        cut_at = [k + 1 for k, s in enumerate(shares) if s >= max(min_change, 3 * base)]
        # Cuts in consecutive intervals whose sample between them is still moving are one
        # transition (a cross-fade caught mid-way), not two scenes.
        runs: list[list[int]] = []
        for k in cut_at:
            if runs and runs[-1][-1] == k - 1 and _unsettled(cap, samples[k - 1][0], min_change):
                runs[-1].append(k)
            else:
                runs.append([k])
        starts: list[tuple[int, int, int, float]] = [(0, 0, samples[0][0], 1.0)]
        for run in runs:  # (first sample before it ends, first settled sample, frame, share)
            k0, k1 = run[0], run[-1]
            frame = samples[k1][0] if len(run) > 1 else samples[k0][0]
            if refine and samples[k1][0] - samples[k0 - 1][0] > 1:
                frame = _bisect(cap, samples[k0 - 1][0], samples[k1][0], samples[k0 - 1][1],
                                samples[k1][1])
            starts.append((k0, k1, frame, max(shares[k - 1] for k in run)))
        total = max(info.frames, samples[-1][0] + 1)
        events: list[VideoEvent] = []
        for n, (_k0, k1, frame, share) in enumerate(starts):
            k_end = starts[n + 1][0] if n + 1 < len(starts) else len(samples)
            end_frame = starts[n + 1][2] if n + 1 < len(starts) else total
            # Read the frame half-way through the stretch (seeking, not only among the samples):
            # well past a transition, even when a coarse sample fell inside one.
            mid = samples[(k1 + max(k1, k_end - 1)) // 2][0]
            key = (frame + end_frame - 1) // 2 if refine else mid
            text, blocks = "", list[TextBlock]()
            if ocr:
                bgr = _read_at(cap, key)
                if bgr is not None:
                    text, blocks = _read(bgr)
            if events and text and text == events[-1].text:
                events[-1].end = round(end_frame / info.fps, 3)
                events[-1].end_timestamp = mmss(events[-1].end)
                continue
            start, end = frame / info.fps, end_frame / info.fps
            events.append(VideoEvent(start=round(start, 3), end=round(end, 3),
                                     timestamp=mmss(start), end_timestamp=mmss(end),
                                     change=round(min(1.0, share), 4), text=text, blocks=blocks,
                                     keyframe=round(key / info.fps, 3)))
    finally:
        cap.release()
    return VideoAnalysis(duration=round(total / info.fps, 3), fps=info.fps, sample_fps=fps,
                         width=info.width, height=info.height, events=events)


def _read(bgr: np.ndarray) -> tuple[str, list[TextBlock]]:
    """OCR of one frame: its lines in reading order, joined by newlines, and the blocks."""
    from tools.documents.reading import read
    from tools.perception.ocr_engine import read_text

    blocks = read_text(Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
    return "\n".join(line.text for line in read(blocks).lines), blocks
