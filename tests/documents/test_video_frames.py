"""Video: a real MJPG file written here whose caption changes at known times, while a small
square moves all along (motion that must not count as an event)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.expert_inputs import VIDEO_SCRIPT, text_video
from tools.media.video_frames import analyze_video, mmss, sample_frames


def squash(s: str) -> str:
    return "".join(s.split())


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("video") / "captions.avi"
    text_video(path)
    return path


def test_mmss() -> None:
    assert [mmss(t) for t in (0, 5.5, 59.99, 61, 3599, 3725)] == [
        "00:00", "00:05", "00:59", "01:01", "59:59", "1:02:05"]


def test_sampled_frames_carry_their_times(video: Path) -> None:
    frames = sample_frames(video, fps=2.0)
    assert [f.time for f in frames] == [k / 2 for k in range(16)]
    assert frames[0].image.size == (640, 360)


def test_events_at_the_caption_changes_with_their_text(video: Path) -> None:
    result = analyze_video(video, fps=1.0)
    assert (result.duration, result.fps, result.width, result.height) == (8.0, 10.0, 640, 360)
    got = [(e.start, e.timestamp, e.text) for e in result.events]
    assert len(got) == len(VIDEO_SCRIPT), got
    for (start, text), event in zip(VIDEO_SCRIPT, result.events, strict=True):
        assert abs(event.start - start) <= 1.0, got
        # Bisection between samples finds the exact frame of an MJPG cut (0.1 s at 10 fps).
        assert abs(event.start - start) <= 0.1, got
        assert squash(event.text) == squash(text), got
    assert [e.timestamp for e in result.events] == ["00:00", "00:03", "00:05"]
    assert result.events[-1].end == 8.0


def test_without_refinement_changes_are_within_one_sample(video: Path) -> None:
    result = analyze_video(video, fps=1.0, refine=False, ocr=False)
    starts = [e.start for e in result.events]
    assert len(starts) == len(VIDEO_SCRIPT)
    assert all(abs(s - t) <= 1.0 for s, (t, _x) in zip(starts, VIDEO_SCRIPT, strict=True))


def test_motion_alone_is_not_an_event(tmp_path: Path) -> None:
    path = tmp_path / "still.avi"
    text_video(path, script=[(0.0, "同一页 Same slide")], seconds=5.0)
    result = analyze_video(path, fps=2.0)
    assert [(e.timestamp, squash(e.text)) for e in result.events] == [
        ("00:00", squash("同一页 Same slide"))]


@pytest.mark.parametrize("fps", [0.5, pytest.param(1.0, marks=pytest.mark.slow),
                                 pytest.param(2.0, marks=pytest.mark.slow)])
def test_cross_fades_are_one_change_each(tmp_path: Path, fps: float) -> None:
    """One-second cross-fades: a sample may land mid-fade; that is a transition, not a
    scene, and the text is read after it has settled."""
    path = tmp_path / "fades.avi"
    text_video(path, fade=1.0)
    result = analyze_video(path, fps=fps)
    got = [(e.start, squash(e.text)) for e in result.events]
    assert len(got) == len(VIDEO_SCRIPT), got
    for (start, text), event in zip(VIDEO_SCRIPT, result.events, strict=True):
        assert start <= event.start + 0.1 and event.start - start <= 1.0, got  # within the fade
        assert squash(event.text) == squash(text), got
