"""Result records of the document, math, frontend and video tools (no graph knowledge).

Boxes follow :mod:`tools.common.schema`: ``[x1, y1, x2, y2]`` integer pixels of the original
image (of the frame, for video). Times are seconds from the start of the video, with an
``mm:ss`` rendering next to them for people and models.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tools.common.schema import Box, Table, TextBlock

# ---------------------------------------------------------------------------- reading


class Line(BaseModel):
    """OCR blocks that sit on one baseline within one column, joined left to right."""

    text: str = Field(description="The blocks' texts joined (a space between Latin words).")
    bbox: Box = Field(description="Union of the blocks' boxes.")
    column: int = Field(default=0, description="Index of the column (reading order) it is in.")
    confidence: float = Field(default=1.0, ge=0.0, le=1.0, description="Lowest block score.")


class Paragraph(BaseModel):
    """Consecutive lines of one column with no extra vertical gap or indent between them."""

    text: str = Field(description="The lines joined (hyphenated Latin words rejoined).")
    bbox: Box = Field(description="Union of its lines' boxes.")
    column: int = Field(description="Index of the column it is in.")
    lines: list[str] = Field(description="Its lines' texts, top to bottom.")


class Reading(BaseModel):
    """A page's text in reading order: columns, lines and paragraphs."""

    columns: list[Box] = Field(description="Text regions in reading order (one per column "
                                           "or full-width band).")
    lines: list[Line] = Field(description="Every line in reading order.")
    paragraphs: list[Paragraph] = Field(description="Paragraphs in reading order.")
    text: str = Field(description="Paragraphs joined by blank lines.")


# ---------------------------------------------------------------------------- tables


class Cell(BaseModel):
    """One cell of a table grid (a merged cell spans several rows/columns)."""

    row: int = Field(ge=0, description="Top row index.")
    col: int = Field(ge=0, description="Left column index.")
    rowspan: int = Field(default=1, ge=1, description="Rows it covers.")
    colspan: int = Field(default=1, ge=1, description="Columns it covers.")
    bbox: Box = Field(description="The cell's inside (between its ruling lines).")
    text: str = Field(default="", description="OCR text inside, top-to-bottom, left-to-right.")


class TableResult(BaseModel):
    """A table found on an image: where it is, its grid, and its rows of text."""

    table: Table = Field(description="Rows of cell texts (a merged cell's text in its first "
                                     "slot, the slots it covers empty).")
    bbox: Box = Field(description="The table's outer box.")
    cells: list[Cell] = Field(description="Every grid cell with its span and text.")
    source: Literal["ruled", "aligned"] = Field(
        description="ruled: grid from drawn lines; aligned: borderless, from text columns.")


# ---------------------------------------------------------------------------- math


MathKind = Literal["arithmetic", "linear", "quadratic", "system", "equation", "unparsed"]


class MathSolution(BaseModel):
    """A printed problem, how it was read, the steps and the checked answer."""

    problem: str = Field(description="The problem text as read (OCR).")
    normalized: str = Field(default="", description="What was parsed, in sympy syntax.")
    kind: MathKind = Field(description="What sort of problem it was taken to be.")
    steps: list[str] = Field(default_factory=list, description="Human-readable steps.")
    answer: str = Field(default="", description="The final answer, e.g. 'x = 4' or '89'.")
    solutions: dict[str, list[str]] = Field(
        default_factory=dict, description="Each unknown's values (exact, as sympy prints).")
    verified: bool = Field(default=False, description="sympy substituted the answer back "
                                                      "(or re-evaluated it) and it holds.")
    note: str | None = Field(default=None, description="Why it could not be solved/parsed.")


# ---------------------------------------------------------------------------- frontend


class HtmlElement(BaseModel):
    """One positioned element of a rebuilt page."""

    tag: str = Field(description="div (text/panel), input, button, select, textarea, …")
    bbox: Box = Field(description="Where it was found on the screenshot.")
    text: str = Field(default="", description="Text it shows (caption, placeholder, label).")
    color: str = Field(default="", description="Text colour sampled from the screenshot.")
    background: str = Field(default="", description="Fill colour sampled from the screenshot.")


class HtmlRebuild(BaseModel):
    """A positioned-layout HTML/CSS reconstruction of a screenshot."""

    html: str = Field(description="A complete standalone HTML document.")
    width: int = Field(description="Page width in CSS px (the screenshot's width).")
    height: int = Field(description="Page height in CSS px.")
    background: str = Field(description="Page colour sampled from the screenshot.")
    elements: list[HtmlElement] = Field(description="What was placed, in paint order.")


class Similarity(BaseModel):
    """How alike a rendered page and a screenshot look (each term in [0, 1])."""

    score: float = Field(ge=0.0, le=1.0, description="Weighted mean of the terms below.")
    ssim: float = Field(ge=0.0, le=1.0, description="Structural similarity, grey, downscaled.")
    edges: float = Field(ge=0.0, le=1.0, description="F1 of edge pixels within a few px.")
    color: float = Field(ge=0.0, le=1.0, description="1 - mean colour distance, coarse grid.")
    text: float | None = Field(default=None, ge=0.0, le=1.0,
                               description="Text boxes matched by text and place, if given.")


# ---------------------------------------------------------------------------- video


class VideoEvent(BaseModel):
    """One stretch of the video between two scene changes, with the text seen in it."""

    start: float = Field(ge=0.0, description="Seconds at which it starts (the change).")
    end: float = Field(ge=0.0, description="Seconds at which the next one starts.")
    timestamp: str = Field(description="``start`` as mm:ss (h:mm:ss past an hour).")
    end_timestamp: str = Field(description="``end`` as mm:ss.")
    change: float = Field(ge=0.0, le=1.0, description="Share of pixels that changed (1 for "
                                                      "the first scene).")
    text: str = Field(default="", description="OCR of its keyframe, lines joined by newlines.")
    blocks: list[TextBlock] = Field(default_factory=list, description="The keyframe's OCR.")
    keyframe: float = Field(ge=0.0, description="Seconds of the frame that was read.")


class VideoAnalysis(BaseModel):
    """Events of a video indexed by time (scene changes + OCR per keyframe)."""

    duration: float = Field(ge=0.0, description="Length in seconds.")
    fps: float = Field(gt=0.0, description="The file's frame rate.")
    sample_fps: float = Field(gt=0.0, description="Frames per second that were compared.")
    width: int = Field(description="Frame width in pixels.")
    height: int = Field(description="Frame height in pixels.")
    events: list[VideoEvent] = Field(description="In time order; the first starts at 0.")
