"""Arithmetic over a table that was read: a column's total, exactly, checked with sympy.

"Read this invoice and compute the total": the column to add is the one whose header names
an amount (金额, 小计, amount, total, price…), else the right-most column that is all
numbers. Values are added as exact fractions (no float drift), and sympy re-adds them as
the check. A printed total row, if any, is compared with the computed one.
"""

from __future__ import annotations

import re
from fractions import Fraction

import sympy

from tools.common.expert_schema import MathSolution
from tools.common.schema import Table

_AMOUNT = re.compile(r"金额|小计|合计|总价|价格|单价|费用|amount|total|subtotal|price|cost|sum",
                     re.I)
_TOTAL_ROW = re.compile(r"合计|总计|总额|total|sum", re.I)
_NUMBER = re.compile(r"^[^\d\-]*(-?[\d,，]*\.?\d+)[^\d]*$")


def number(text: str) -> Fraction | None:
    """The number a cell holds ("¥1,280.50" → 1280.5), or None."""
    m = _NUMBER.match(text.strip())
    if not m:
        return None
    try:
        return Fraction(m.group(1).replace(",", "").replace("，", ""))
    except (ValueError, ZeroDivisionError):
        return None


def _show(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{float(v):.2f}".rstrip("0").rstrip(".")


def column_total(table: Table) -> MathSolution | None:
    """The total of the table's amount column, or None when it has no numeric column."""
    rows = [r for r in table.rows if any(c.strip() for c in r)]
    if len(rows) < 2:
        return None
    header, body = rows[0], rows[1:]
    printed: Fraction | None = None
    if body and any(_TOTAL_ROW.search(c) for c in body[-1]):
        last = [number(c) for c in body[-1]]
        body = body[:-1]
        printed = next((v for v in reversed(last) if v is not None), None)
    width = max(len(r) for r in rows)
    numeric = [c for c in range(width)
               if body and all(c < len(r) and number(r[c]) is not None for r in body)]
    if not numeric:
        return None
    named = [c for c in numeric if c < len(header) and _AMOUNT.search(header[c])]
    col = (named or numeric)[-1]
    values = [number(r[col]) for r in body]
    total = sum((v for v in values if v is not None), Fraction(0))
    check = sympy.Add(*[sympy.Rational(v.numerator, v.denominator) for v in values if v])
    name = header[col] if col < len(header) and header[col].strip() else f"column {col + 1}"
    steps = [" + ".join(_show(v) for v in values if v is not None) + f" = {_show(total)}"]
    note = None
    if printed is not None and printed != total:
        note = f"the table's printed total is {_show(printed)}, the cells add up to {_show(total)}"
    return MathSolution(problem=f"total of {name}", normalized=str(check), kind="arithmetic",
                        steps=steps, answer=_show(total), verified=check == sympy.Rational(
                            total.numerator, total.denominator), note=note)
