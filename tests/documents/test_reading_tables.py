"""Reading order and tables: geometry on hand-made boxes, then real OCR of drawn pages.

The OCR (rapidocr) drops most spaces in this font ("商品Item", "Salesgrewin…"), so texts
from real images are compared with spaces removed; everything else must match exactly.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Callable
from functools import lru_cache

from PIL import Image

from bench.expert_inputs import (
    MERGED_ROWS,
    TABLE_ROWS,
    borderless_table,
    merged_table,
    ruled_table,
    two_column_page,
)
from tools.common.schema import Table, TextBlock
from tools.documents.reading import join_text, read, reading_order
from tools.documents.tables import (
    aligned_tables,
    find_tables,
    ruled_grids,
    to_csv,
    to_json,
    to_markdown,
)
from tools.perception.ocr_engine import read_text


def tb(text: str, x1: int, y1: int, x2: int, y2: int) -> TextBlock:
    return TextBlock(text=text, bbox=[x1, y1, x2, y2], confidence=0.9)


def squash(s: str) -> str:
    return "".join(s.split())


@lru_cache(maxsize=8)
def ocr(name: str) -> tuple[Image.Image, tuple[TextBlock, ...]]:
    drawn: dict[str, Callable[[], tuple[Image.Image, object]]] = {
        "page": two_column_page, "ruled": ruled_table, "borderless": borderless_table}
    img = drawn[name]()[0]
    return img, tuple(read_text(img))


# ---------------------------------------------------------------------------- reading


def two_columns() -> list[TextBlock]:
    """Title, two columns of 3 lines (a blank line in the left one), a footer."""
    blocks = [tb("Title", 40, 20, 300, 50)]
    for i, y in enumerate((80, 110, 170)):
        blocks.append(tb(f"L{i}", 40, y, 380, y + 20))
        blocks.append(tb(f"R{i}", 440, y, 800, y + 20))
    blocks.append(tb("Footer", 40, 400, 300, 420))
    return blocks


def test_columns_are_read_one_after_the_other_between_title_and_footer() -> None:
    blocks = two_columns()
    order = [b.text for b in reading_order(blocks[::-1])]
    assert order == ["Title", "L0", "L1", "L2", "R0", "R1", "R2", "Footer"]
    r = read(blocks)
    assert [ln.text for ln in r.lines] == order
    assert [ln.column for ln in r.lines] == [0, 1, 1, 1, 2, 2, 2, 3]
    # The blank line between L1 and L2 starts a new paragraph.
    assert [p.text for p in r.paragraphs] == ["Title", "L0 L1", "L2", "R0 R1", "R2", "Footer"]


def test_a_key_value_row_is_one_line_not_two_columns() -> None:
    blocks = [tb("Name:", 40, 20, 110, 40), tb("John Smith", 300, 20, 420, 40),
              tb("A long line of prose that spans the page", 40, 60, 800, 80)]
    r = read(blocks)
    assert [ln.text for ln in r.lines] == ["Name: John Smith",
                                           "A long line of prose that spans the page"]
    assert len(r.columns) == 1


def test_join_text_keeps_cjk_tight_and_rejoins_hyphenated_words() -> None:
    assert join_text("本季度", "销售") == "本季度销售"
    assert join_text("exam-", "ple") == "example"
    assert join_text("Total", "30") == "Total 30"


def test_two_column_page_paragraphs_in_reading_order() -> None:
    _img, blocks = ocr("page")
    expected = two_column_page()[1]
    got = read(list(blocks)).paragraphs
    read_as = [p.text for p in got]
    assert len(got) == len(expected), read_as
    for want, para in zip(expected, got, strict=True):
        ratio = difflib.SequenceMatcher(None, squash(want), squash(para.text)).ratio()
        assert ratio >= 0.9, (want, para.text, read_as)
    # Title and footer are full width; the columns are the two in between.
    assert [p.column for p in got] == [0, 1, 1, 2, 2, 3]


# ---------------------------------------------------------------------------- tables


def test_ruled_table_cells_from_real_ocr() -> None:
    img, blocks = ocr("ruled")
    tables = find_tables(img, list(blocks))
    assert len(tables) == 1, [t.table.rows for t in tables]
    t = tables[0]
    assert t.source == "ruled"
    assert [[squash(c) for c in row] for row in t.table.rows] == \
        [[squash(c) for c in row] for row in TABLE_ROWS]
    assert {(c.row, c.col) for c in t.cells} == {(r, c) for r in range(5) for c in range(3)}
    assert all(c.rowspan == c.colspan == 1 for c in t.cells)
    # The caption above the table is not in it.
    assert all("2024" not in c.text for c in t.cells)


def test_merged_cells_span_rows_and_columns() -> None:
    img, rows = merged_table()
    [t] = find_tables(img, read_text(img))
    spans = {(c.row, c.col): (c.rowspan, c.colspan, squash(c.text)) for c in t.cells}
    assert spans[(0, 0)] == (2, 1, "城市")
    assert spans[(0, 1)] == (1, 2, "上半年H1")
    assert rows == MERGED_ROWS
    assert [[squash(c) for c in row] for row in t.table.rows] == \
        [[squash(c) for c in row] for row in rows]


def test_borderless_table_from_aligned_columns() -> None:
    img, blocks = ocr("borderless")
    assert ruled_grids(img) == []
    tables = find_tables(img, list(blocks))
    assert len(tables) == 1, [t.table.rows for t in tables]
    assert tables[0].source == "aligned"
    assert [[squash(c) for c in row] for row in tables[0].table.rows] == \
        [[squash(c) for c in row] for row in TABLE_ROWS]


def test_columns_of_prose_are_not_a_table() -> None:
    img, blocks = ocr("page")
    assert find_tables(img, list(blocks)) == []
    assert aligned_tables(two_columns()) == []


def test_renderers() -> None:
    t = Table(rows=[["品名", "数量", "备注"], ["苹果", "2", "a|b"], ["梨, 大", "1", ""]])
    assert to_markdown(t) == ("| 品名 | 数量 | 备注 |\n| --- | --- | --- |\n"
                              "| 苹果 | 2 | a\\|b |\n| 梨, 大 | 1 |  |")
    assert list(csv.reader(io.StringIO(to_csv(t)))) == t.rows
    assert '"梨, 大"' in to_csv(t)
    assert json.loads(to_json(t)) == [{"品名": "苹果", "数量": "2", "备注": "a|b"},
                                      {"品名": "梨, 大", "数量": "1", "备注": ""}]
    # A header with a blank or repeated name cannot key objects: plain rows.
    plain = Table(rows=[["", "x"], ["1", "2"]])
    assert json.loads(to_json(plain)) == plain.rows


def test_a_form_laid_out_in_two_columns_is_not_a_table() -> None:
    """Labels in aligned columns with input boxes beside them (the synthetic corpus form
    en_job_left2) look like a borderless grid of text; the boxes' sides say it is a form."""
    from bench.corpus import corpus
    from bench.formgen import render

    case = next(c for c in corpus() if c.spec.id == "en_job_left2")
    img, _truth = render(case.spec)
    blocks = read_text(img)
    assert aligned_tables(blocks), "the labels alone do line up in columns"
    assert find_tables(img, blocks) == []
