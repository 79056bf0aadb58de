"""Maths off an image: printed problems solved and checked by sympy; table column totals."""
