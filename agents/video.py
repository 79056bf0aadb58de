"""Video node: what happens in a video, indexed by time (mm:ss).

offline: frames are sampled with their times, scene changes found by frame differences
(refined to the frame) and each stretch's keyframe read by OCR. vllm: sampled frames go to
Qwen3-VL as images, each preceded by its time, and the expert returns events with mm:ss
times; an unusable answer falls back to the offline events.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from typing import Any

from langgraph.runtime import Runtime

from agents.context import Context
from agents.records import StepError
from agents.state import StepInput
from tools.common.blobstore import put_image
from tools.common.expert_schema import VideoEvent
from tools.common.images import model_input_size
from tools.common.schema import ImageRef, VideoRef
from tools.media.video_frames import analyze_video, mmss, sample_frames

MODEL_FRAMES = 16  # frames sent to the model: enough for events, within the image budget


def _frame_refs(video: VideoRef, ctx: Context) -> tuple[list[tuple[str, ImageRef]], float]:
    """Evenly spread frames of the video, stored, each labelled with its time."""
    frames = sample_frames(video.path, fps=1.0)
    step = max(1, len(frames) // MODEL_FRAMES)
    chosen = frames[::step][:MODEL_FRAMES]
    out = []
    for f in chosen:
        buf = io.BytesIO()
        f.image.save(buf, format="PNG")
        sha = hashlib.sha256(buf.getvalue()).hexdigest()
        path = put_image(f.image, sha)
        mw, mh = model_input_size(f.image.width, f.image.height, ctx.max_pixels // 4)
        out.append((f"t={mmss(f.time)}", ImageRef(
            id=f"{video.id}@{f.time:.1f}", name=video.name, path=str(path), sha256=sha,
            width=f.image.width, height=f.image.height, model_width=mw, model_height=mh)))
    duration = frames[-1].time if frames else 0.0
    return out, duration


def _seconds(mm_ss: str) -> float:
    m, s = mm_ss.split(":")
    return int(m) * 60 + int(s)


async def _events_vlm(ctx: Context, video: VideoRef, request: str
                      ) -> tuple[list[VideoEvent], str] | str:
    from agents.prompts import VIDEO_INSTRUCTION
    from agents.vlm import ask_frames
    from agents.vlm_schemas import VideoOut

    frames, duration = await asyncio.to_thread(_frame_refs, video, ctx)
    reply = await ask_frames(ctx, frames, VIDEO_INSTRUCTION.format(request=request), VideoOut)
    if reply.parsed is None:
        return reply.error or "no usable answer"
    starts = sorted((_seconds(e.time), e.event) for e in reply.parsed.events)
    events = []
    for n, (start, text) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else max(duration, start)
        events.append(VideoEvent(start=start, end=end, timestamp=mmss(start),
                                 end_timestamp=mmss(end), change=1.0 if n == 0 else 0.5,
                                 text=text, keyframe=start))
    return events, reply.parsed.summary


async def video(state: StepInput, runtime: Runtime[Context]) -> dict[str, Any]:
    """Events of every input video with their timestamps."""
    ctx = runtime.context
    step = state.get("step")
    videos: list[VideoRef] = state.get("videos", [])
    if not videos:
        raise RuntimeError("no video given")
    events: list[VideoEvent] = []
    errors: list[StepError] = []
    summaries: list[str] = []
    for clip in videos:
        if state.get("backend") == "vllm":
            found = await _events_vlm(ctx, clip, state.get("request", ""))
            if not isinstance(found, str):
                events.extend(found[0])
                summaries.append(found[1])
                continue
            errors.append(StepError(step=step.id if step else "video", kind="fallback",
                                    message=f"video: model answer unusable ({found}); using "
                                            "the offline scene-change events"))
        analysis = await asyncio.to_thread(analyze_video, clip.path)
        events.extend(analysis.events)
    update: dict[str, Any] = {"events": events, "errors": errors}
    if summaries:
        update["description"] = "\n".join(summaries)
    return update
