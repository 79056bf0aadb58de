"""Printed maths: OCR quirks normalised, solutions with steps, each answer checked by sympy,
and the whole path on a real rendered worksheet."""

from __future__ import annotations

import pytest

from bench.expert_inputs import MATH_CASES, MORE_MATH_CASES, MathCase, math_image
from tools.maths.math_solver import normalize, solve_image, solve_lines, solve_text
from tools.perception.ocr_engine import read_text


@pytest.mark.parametrize(("ocr", "parsed"), [
    ("2x + 3 二 11", "2x + 3 = 11"),  # the recogniser reads "=" as 二
    ("x² - 5x + 6 = 0", "x**2 - 5x + 6 = 0"),
    ("x2-5x+6=0", "x**2-5x+6=0"),  # a superscript flattened
    ("12 × 7 + 5 =", "12 * 7 + 5 ="),
    ("12 x 7 =", "12*7 ="),  # x read for ×
    ("解方程：3(×-2)=2x+1", "3(x-2)=2x+1"),  # × read for the letter x
    ("（2x＋1）＝ 7", "(2x+1)= 7"),  # full-width
    ("① 48÷6−3=", "48/6-3="),  # numbering, Unicode minus
    ("2. 10 ÷ 4 = ?", "10 / 4 ="),
    ("√16 + 1 =", "sqrt(16) + 1 ="),
    ("X + 1 = O", "x + 1 = 0"),  # capital X, letter O for zero
])
def test_normalize_undoes_ocr_quirks(ocr: str, parsed: str) -> None:
    assert normalize(ocr) == parsed


def test_linear_equation_steps_and_check() -> None:
    s = solve_text("2x + 3 = 11")
    assert (s.kind, s.answer, s.solutions, s.verified) == ("linear", "x = 4", {"x": ["4"]}, True)
    assert s.steps == ["2x + 3 = 11", "Move x terms left and numbers right: 2x = 8",
                       "Divide both sides by 2: x = 4"]


def test_quadratic_with_discriminant_and_factoring() -> None:
    s = solve_text("x² - 5x + 6 = 0")
    assert (s.kind, s.answer, s.verified) == ("quadratic", "x = 2 or x = 3", True)
    assert "Discriminant Δ = b² - 4ac = 25 - 24 = 1" in s.steps
    assert "Factor: (x - 3)(x - 2) = 0" in s.steps
    complex_roots = solve_text("x^2 + 1 = 0")
    assert complex_roots.answer == "x = -i or x = i" and complex_roots.verified


def test_arithmetic_one_operation_at_a_time() -> None:
    s = solve_text("12 × 7 + 5 =")
    assert (s.kind, s.answer, s.verified) == ("arithmetic", "89", True)
    assert s.steps == ["12 × 7 + 5 = 84 + 5", "84 + 5 = 89"]
    assert solve_text("5 - (3 - 1) =").steps == ["5 - (3 - 1) = 5 - 2", "5 - 2 = 3"]
    assert solve_text("10 ÷ 4 =").answer == "2.5"
    assert solve_text("1 ÷ 3 + 1 =").answer == "4/3 ≈ 1.33333"
    checked = solve_text("12 × 7 + 5 = 90")
    assert checked.answer == "89" and checked.note == "the printed result 90 is wrong"


def test_system_by_substitution() -> None:
    s = solve_text("x + y = 10\nx - y = 2")
    assert (s.kind, s.answer, s.verified) == ("system", "x = 6, y = 4", True)
    assert "From (1): x = 10 - y" in s.steps and "So y = 4" in s.steps
    # Lines of a worksheet: two equations in two unknowns are one system, the rest alone.
    got = solve_lines(["1. 2x + 3 = 11", "x + y = 10", "x - y = 2", "Name: ____", "12 × 7 ="])
    assert [(g.kind, g.answer) for g in got] == [
        ("linear", "x = 4"), ("system", "x = 6, y = 4"), ("arithmetic", "84")]


def test_what_cannot_be_solved_says_why() -> None:
    lost = solve_text("x2 5x + 6 = 0")  # the minus sign was not read
    assert lost.kind == "unparsed" and "operator is missing" in (lost.note or "")
    assert solve_text("2x + 3 = 2x + 1").answer == "no solution"
    assert not solve_text("2x + 3 = 2x + 1").verified
    evil = solve_text("__import__('os').system('true')")
    assert evil.kind == "unparsed" and "not a maths expression" in (evil.note or "")
    assert solve_text("x + y = 3").note == "one equation in 2 unknowns"


@pytest.mark.parametrize(("cases", "size"), [(MATH_CASES, 36), pytest.param(MORE_MATH_CASES, 32, marks=pytest.mark.slow)],
                         ids=["worksheet", "worksheet-b"])
def test_real_worksheet_read_and_solved(cases: list[MathCase], size: int) -> None:
    lines = [line for case in cases for line in case.printed()]
    img = math_image(lines, size=size)
    got = solve_image(img, read_text(img))
    read_as = [g.problem for g in got]
    assert len(got) == len(cases), read_as
    for case, sol in zip(cases, got, strict=True):
        assert sol.verified, (case.text, sol.problem, sol.note)
        want = {k or "": v for k, v in case.answer.items()}
        assert sol.solutions == want, (case.text, sol.problem, sol.answer)
