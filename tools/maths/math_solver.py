"""Printed arithmetic and equations → steps and an answer checked by sympy.

OCR text is normalised first, undoing what the recogniser does to printed maths: full-width
symbols (＝＋（）), ``×``/``÷``/``·`` and the Unicode minus, superscripts (``x²``), a lost
superscript (``x2`` for x²), ``×`` read for the letter x and ``x`` read for ×, ``二`` for
``=``, ``O`` for 0, numbering ("1.", "(2)", "①") and instructions ("解方程：", "Solve").
Only a small whitelisted alphabet reaches sympy's parser (it evaluates Python), so OCR
garbage can never run as code.

Then: arithmetic is evaluated one operation at a time with exact fractions (steps a person
would write) and re-checked by sympy; linear and quadratic equations and systems of
equations get textbook steps, sympy's solutions, and every solution is substituted back.
"""

from __future__ import annotations

import ast
import itertools
import re
import unicodedata
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import sympy
from PIL import Image
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

from tools.common.expert_schema import MathKind, MathSolution
from tools.common.schema import TextBlock

_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_FUNCS = {"sqrt": sympy.sqrt, "pi": sympy.pi, "sin": sympy.sin, "cos": sympy.cos,
          "tan": sympy.tan, "log": sympy.log, "ln": sympy.log, "abs": sympy.Abs}
_TRANSFORMS = (*standard_transformations, implicit_multiplication_application, convert_xor)
_ALLOWED = re.compile(r"^[0-9a-z+\-*/().=, ]*$")
_INSTRUCTION = re.compile(
    r"^\s*(?:解方程组?|解不等式|解|求解|求值|计算|化简|算一算|solve|calculate|compute|evaluate|"
    r"simplify|find)\s*[:：]?\s*", re.IGNORECASE)
_NUMBERING = re.compile(r"^\s*(?:\(\d{1,2}\)|（\d{1,2}）|\d{1,2}[.、．)]\s|[①-⑳]|第\d+题[:：]?"
                        r"|例\d*[:：]|[{\[|])\s*")


# ---------------------------------------------------------------------------- normalise


def normalize(text: str) -> str:
    """OCR text of one problem → sympy syntax (``**``, ``*``, ``=``), lowercase letters."""
    s = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "**" + m.group(0).translate(_SUPER), text)
    s = re.sub(r"^\s*[①-⑳]", "", s)  # before NFKC turns ① into a plain 1
    s = unicodedata.normalize("NFKC", s).strip()
    s = _NUMBERING.sub("", s)
    s = _INSTRUCTION.sub("", s)
    s = re.sub(r"[,，;；。]?\s*(?:求|则|那么)?\s*[a-zA-Z]?\s*[=＝]?\s*[?？]?\s*$", "", s) \
        if re.search(r"[，,;；]\s*求", s) else s  # "…，求x" asks for x: the rest is the problem
    s = s.replace("二", "=").replace("＝", "=")  # the recogniser often reads "=" as 二
    s = re.sub(r"[−–—一]", "-", s)  # Unicode minus, dashes and 一 read for a minus
    s = re.sub(r"[·∙⋅✕✖*]", "*", s)
    s = re.sub(r"[÷∶]", "/", s)
    s = s.replace("^", "**").replace("π", "pi")
    s = re.sub(r"√\s*(\d+(?:\.\d+)?|[a-zA-Z])", r"sqrt(\1)", s).replace("√", "sqrt")
    # × is the letter x when it has no operand on one side: "3(×-2)", "× + 1", "=×".
    s = re.sub(r"(?:(?<=^)|(?<=[(=+\-*/ ]))\s*×(?=\s*[-+=)/*]|\s*$|\*\*)", "x", s)
    s = re.sub(r"×(?=\s*[-+=)]|\s*$)", "x", s)
    s = s.replace("×", "*")
    s = re.sub(r"(?<![a-zA-Z])[Oo](?![a-zA-Z])", "0", s)  # a lone O among digits is a zero
    s = s.replace("X", "x").lower()
    s = re.sub(r"=\s*(?:\?|_+|\(\s*\))\s*$", "=", s)  # "= ?" / "= ___": asks for the value
    if not re.search(r"=\s*\S", s):  # arithmetic: an x between two numbers is a times sign
        s = re.sub(r"(?<=[\d)])\s*x\s*(?=[\d(])", "*", s)
    else:  # an equation: only a spaced "12 x 7" is a product
        s = re.sub(r"(?<=\d)\s+x\s+(?=\d)", "*", s)
    # x2 / y3: a superscript the recogniser flattened (nobody writes x·2 as "x2").
    s = re.sub(r"(?<![a-z])([a-z])([23])(?![\d.])", r"\1**\2", s)
    return re.sub(r"\s+", " ", s).strip()


def _pretty(s: str) -> str:
    """Normalised text back in print style (x², 2x, ×), spaced around = + -."""
    s = s.replace("**2", "²").replace("**3", "³").replace("**", "^").replace("*", " × ")
    s = re.sub(r"\s*([=+])\s*", r" \1 ", s)
    s = re.sub(r"(?<=[\w)²³])\s*-\s*", " - ", s)
    return re.sub(r"\s+", " ", s).strip()


def _parse(expr: str) -> sympy.Expr:
    """sympy expression of a whitelisted string (letters only as 1-letter symbols or the
    known functions), decimals kept exact."""
    words = set(re.findall(r"[a-z]+", expr))
    lost = re.search(r"(\d)\s+(\d)", expr)
    if lost:  # "x2 5x": the recogniser dropped the sign between two terms
        raise ValueError(f"an operator is missing between {lost.group(1)} and {lost.group(2)}"
                         f" in {expr!r}")
    if not _ALLOWED.match(expr) or any(len(w) > 1 and w not in _FUNCS for w in words):
        raise ValueError(f"not a maths expression: {expr!r}")
    local: dict[str, Any] = {w: sympy.Symbol(w) for w in words if len(w) == 1}
    local.update({k: v for k, v in _FUNCS.items() if k in words})
    result = parse_expr(expr, local_dict=local, transformations=_TRANSFORMS, evaluate=True)
    return sympy.nsimplify(result, rational=True) if result.has(sympy.Float) else result


def show(expr: Any) -> str:
    """How a person writes a sympy result: 2x, x², √2, no explicit ``*``."""
    s = str(expr)
    s = re.sub(r"\bsqrt\(([^()]*)\)", r"√(\1)", s)
    s = re.sub(r"√\((\d+)\)", r"√\1", s)
    s = re.sub(r"\*\*2\b", "²", s)
    s = re.sub(r"\*\*3\b", "³", s)
    s = re.sub(r"(\d)\*([a-z(√])", r"\1\2", s)
    s = re.sub(r"\bI\b", "i", s)
    return s.replace("**", "^").replace(")*(", ")(").replace("*", "·")


def _signed(expr: Any) -> str:
    """A value as the right operand of a minus: negatives in brackets."""
    return f"({show(expr)})" if expr.is_number and expr < 0 else show(expr)


# ---------------------------------------------------------------------------- arithmetic

_PREC = {"+": 1, "-": 1, "×": 2, "÷": 2, "^": 4}
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "×", ast.Div: "÷", ast.Pow: "^"}
Node = Any  # ("num", Fraction) | ("neg", Node) | (op, Node, Node)


def _tree(node: ast.AST) -> Node:
    if isinstance(node, ast.Expression):
        return _tree(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return ("num", Fraction(str(node.value)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _tree(node.operand)
        return ("neg", inner) if isinstance(node.op, ast.USub) else inner
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return (_OPS[type(node.op)], _tree(node.left), _tree(node.right))
    raise ValueError("not plain arithmetic")


def _num(v: Fraction) -> str:
    """An integer, a short decimal (3.5, 0.25) when exact, else a fraction (20/3)."""
    if v.denominator == 1:
        return str(v.numerator)
    if _finite(v) and len(f"{float(v):g}") <= 12:
        return f"{float(v):g}"
    return f"{v.numerator}/{v.denominator}"


def _fmt(n: Node, parent: int = 0, right: bool = False) -> str:
    """Infix text of a tree, with brackets only where precedence needs them."""
    if n[0] == "num":
        s = _num(n[1])
        return f"({s})" if parent and (n[1] < 0 or "/" in s) else s
    if n[0] == "neg":
        s = f"-{_fmt(n[1], 3)}"
        return f"({s})" if parent else s
    p = _PREC[n[0]]
    if n[0] == "^":
        s = f"{_fmt(n[1], 5)}^{_fmt(n[2], p, right=True)}"
    else:
        s = f"{_fmt(n[1], p)} {n[0]} {_fmt(n[2], p, right=True)}"
    # a - (b + c), a ÷ (b × c): a right operand of equal rank keeps its brackets.
    return f"({s})" if p < parent or (right and p == parent) else s


def _apply(op: str, a: Fraction, b: Fraction) -> Fraction:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "×":
        return a * b
    if op == "÷":
        if b == 0:
            raise ZeroDivisionError("division by zero")
        return a / b
    if b.denominator != 1 or abs(b) > 64 or abs(a) > 10**6:
        raise ValueError("power out of range for exact steps")
    return a ** int(b)


def _step(n: Node) -> tuple[Node, bool]:
    """Evaluate the first operation whose operands are numbers (left to right)."""
    if n[0] == "num":
        return n, False
    if n[0] == "neg":
        if n[1][0] == "num":
            return ("num", -n[1][1]), True
        inner, done = _step(n[1])
        return ("neg", inner), done
    left, right = n[1], n[2]
    if left[0] == "num" and right[0] == "num":
        return ("num", _apply(n[0], left[1], right[1])), True
    new_left, done = _step(left)
    if done:
        return (n[0], new_left, right), True
    new_right, done = _step(right)
    return (n[0], left, new_right), done


def _arithmetic(problem: str, expr: str, printed: str | None) -> MathSolution:
    try:
        tree = _tree(ast.parse(expr, mode="eval"))
    except ValueError:  # sqrt, pi, …: sympy's exact value, with no second opinion
        value = sympy.nsimplify(_parse(expr))
        return MathSolution(problem=problem, normalized=expr, kind="arithmetic",
                            steps=[f"{_pretty(expr)} = {show(value)}"], answer=show(value),
                            solutions={"": [show(value)]}, verified=False,
                            note="evaluated by sympy alone (no independent check)")
    steps, shown = [], [_fmt(tree)]
    while tree[0] != "num":
        tree, _done = _step(tree)
        shown.append(_fmt(tree))
    value = tree[1]
    for a, b in itertools.pairwise(shown):
        steps.append(f"{a} = {b}")
    answer = _num(value) if "/" not in _num(value) else f"{_num(value)} ≈ {float(value):.6g}"
    check = _parse(expr)
    verified = bool(sympy.simplify(check - sympy.Rational(value.numerator, value.denominator))
                    == 0)
    note = None
    if printed is not None:
        given = _parse(printed)
        correct = bool(sympy.simplify(check - given) == 0)
        note = f"the printed result {show(given)} is {'right' if correct else 'wrong'}"
    return MathSolution(problem=problem, normalized=expr, kind="arithmetic",
                        steps=steps or [f"{shown[0]}"], answer=answer,
                        solutions={"": [_num(value)]}, verified=verified, note=note)


def _finite(v: Fraction) -> bool:
    d = v.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


# ---------------------------------------------------------------------------- equations


def _check(eqs: list[sympy.Eq], sols: list[dict[sympy.Symbol, Any]]) -> bool:
    """Every solution, substituted back, makes every equation hold."""
    return bool(sols) and all(
        sympy.simplify(eq.lhs.subs(sol) - eq.rhs.subs(sol)) == 0 for sol in sols for eq in eqs)


def _one_unknown(problem: str, expr: str, eq: sympy.Eq, x: sympy.Symbol) -> MathSolution:
    f = sympy.expand(eq.lhs - eq.rhs)
    steps = [_pretty(expr)]
    expanded = f"{show(sympy.expand(eq.lhs))} = {show(sympy.expand(eq.rhs))}"
    if expanded.replace(" ", "") != steps[0].replace(" ", "").replace("×", "·"):
        steps.append(f"Expand: {expanded}")
    poly = sympy.Poly(f, x) if f.is_polynomial(x) else None
    degree = poly.degree() if poly is not None else -1
    kind: MathKind = "equation"
    if degree == 1 and poly is not None:
        kind = "linear"
        a, c = poly.coeff_monomial(x), -poly.coeff_monomial(1)
        steps.append(f"Move {x} terms left and numbers right: {show(a * x)} = {show(c)}")
        if a != 1:
            steps.append(f"Divide both sides by {show(a)}: {x} = {show(c / a)}")
    elif degree == 2 and poly is not None:
        kind = "quadratic"
        a, b, c = (poly.coeff_monomial(x ** k) for k in (2, 1, 0))
        steps.append(f"Standard form: {show(f)} = 0 (a = {show(a)}, b = {show(b)}, "
                     f"c = {show(c)})")
        disc = b ** 2 - 4 * a * c
        steps.append(f"Discriminant Δ = b² - 4ac = {show(b ** 2)} - {_signed(4 * a * c)} = "
                     f"{show(disc)}")
        factored = sympy.factor(f)
        if isinstance(factored, sympy.Mul | sympy.Pow) and factored != f:
            steps.append(f"Factor: {show(factored)} = 0")
        if disc < 0:
            steps.append("Δ < 0: no real roots; the complex roots are")
        steps.append(f"{x} = (-b ± √Δ) / 2a = ({show(-b)} ± {show(sympy.sqrt(disc))}) / "
                     f"{show(2 * a)}")
    sols = sympy.solve(eq, x, dict=True)
    values = [s[x] for s in sols if x in s]
    values.sort(key=lambda v: (not v.is_real, sympy.re(v), sympy.im(v)))
    answer = " or ".join(f"{x} = {show(v)}" for v in values) or "no solution"
    if not values:
        steps.append("No value satisfies the equation" if f.free_symbols else
                     ("Every value satisfies it" if f == 0 else "It never holds"))
    elif kind != "linear" or len(steps) == 1:
        steps.append(answer)
    return MathSolution(problem=problem, normalized=expr, kind=kind, steps=steps, answer=answer,
                        solutions={str(x): [show(v) for v in values]},
                        verified=_check([eq], [{x: v} for v in values]))


def _system(problem: str, expr: str, eqs: list[sympy.Eq],
            unknowns: list[sympy.Symbol]) -> MathSolution:
    steps = [f"({i + 1}) {show(eq.lhs)} = {show(eq.rhs)}" for i, eq in enumerate(eqs)]
    linear = all(sympy.Poly(sympy.expand(e.lhs - e.rhs), *unknowns).total_degree() <= 1
                 for e in eqs if (e.lhs - e.rhs).is_polynomial(*unknowns))
    if linear and len(eqs) == 2 and len(unknowns) == 2:
        # Substitution, as taught: one unknown from (1), into (2), then back.
        x, y = unknowns
        first = x if sympy.expand(eqs[0].lhs - eqs[0].rhs).coeff(x) != 0 else y
        other = y if first is x else x
        from_first = sympy.solve(eqs[0], first)
        if from_first:
            expr_first = from_first[0]
            steps.append(f"From (1): {first} = {show(expr_first)}")
            sub = sympy.expand((eqs[1].lhs - eqs[1].rhs).subs(first, expr_first))
            steps.append(f"Substitute into (2): {show(sub)} = 0")
            val = sympy.solve(sub, other)
            if len(val) == 1:
                steps.append(f"So {other} = {show(val[0])}")
                steps.append(f"Back into (1): {first} = {show(expr_first.subs(other, val[0]))}")
    sols = sympy.solve(eqs, unknowns, dict=True)
    answer = "; ".join(", ".join(f"{k} = {show(s[k])}" for k in unknowns if k in s)
                       for s in sols) or "no solution"
    steps.append(answer)
    solutions = {str(k): [show(s[k]) for s in sols if k in s] for k in unknowns}
    return MathSolution(problem=problem, normalized=expr, kind="system", steps=steps,
                        answer=answer, solutions=solutions, verified=_check(eqs, sols))


# ---------------------------------------------------------------------------- entry points


def _equation(part: str) -> sympy.Eq:
    lhs, rhs = part.split("=", 1)
    return sympy.Eq(_parse(lhs), _parse(rhs), evaluate=False)


def solve_text(text: str) -> MathSolution:
    """Solve one problem: arithmetic ("12 × 7 + 5 ="), an equation, or a system with the
    equations separated by newlines or semicolons."""
    parts = [normalize(p) for p in re.split(r"[\n;；]+", text) if p.strip()]
    parts = [p for p in parts if p]
    expr = "; ".join(parts)
    try:
        if len(parts) == 1 and parts[0].count("=") <= 1:
            part = parts[0]
            lhs, _eq, rhs = part.partition("=")
            found = _parse(lhs).free_symbols | (_parse(rhs).free_symbols if rhs.strip() else set())
            if not found:
                return _arithmetic(text, lhs.strip(), rhs.strip() or None)
            eq = _equation(part) if rhs.strip() else sympy.Eq(_parse(lhs), 0)
            unknowns = sorted(eq.free_symbols, key=str)
            if len(unknowns) == 1:
                return _one_unknown(text, expr, eq, unknowns[0])
            return MathSolution(problem=text, normalized=expr, kind="unparsed",
                                note=f"one equation in {len(unknowns)} unknowns")
        eqs = [_equation(p) for p in parts]
        unknowns = sorted(set().union(*(e.free_symbols for e in eqs)), key=str)
        return _system(text, expr, eqs, unknowns)
    except (SyntaxError, TypeError, ValueError, ZeroDivisionError, sympy.SympifyError) as exc:
        return MathSolution(problem=text, normalized=expr, kind="unparsed", note=str(exc))


def looks_like_math(line: str) -> bool:
    """An equation or a sum: digits or a lone letter with an operator or "="."""
    s = normalize(line)
    return bool(re.search(r"[\d a-z)]\s*[-+*/=]|=\s*$", s)) and bool(re.search(r"\d", s)) \
        and _ALLOWED.match(s) is not None


def _unknowns(line: str) -> int:
    s = normalize(line)
    return len({w for w in re.findall(r"[a-z]+", s) if len(w) == 1})


def solve_lines(lines: Sequence[str]) -> list[MathSolution]:
    """Every problem among OCR lines; consecutive equations that each have more unknowns
    than one equation can fix, and together as many equations as unknowns, are a system."""
    maths = [ln for ln in lines if looks_like_math(ln)]
    out: list[MathSolution] = []
    i = 0
    while i < len(maths):
        line = maths[i]
        n = _unknowns(line)
        if n >= 2 and "=" in normalize(line):
            group = [line]
            while i + len(group) < len(maths) and len(group) < n \
                    and _unknowns(maths[i + len(group)]) >= 2:
                group.append(maths[i + len(group)])
            if len(group) == n:
                out.append(solve_text("\n".join(group)))
                i += n
                continue
        out.append(solve_text(line))
        i += 1
    return out


def solve_image(image: Image.Image, blocks: Sequence[TextBlock]) -> list[MathSolution]:
    """Problems printed on ``image``: its OCR lines re-read whole (see
    :func:`tools.documents.reading.recognize_lines`), then :func:`solve_lines`."""
    from tools.documents.reading import read, recognize_lines

    lines = recognize_lines(image, read(blocks).lines)
    return solve_lines([ln.text for ln in lines])
