"""The scalar facade (rewrite/core/scalars.py): exact numbers without sympy, sympy
where a size symbol appears, and one canonical key for a value in either form.

sympy is the independent ground truth here: every law is checked against
sympy's own arithmetic on the same values.
"""
from fractions import Fraction

import sympy
from hypothesis import given
from hypothesis import strategies as st

from rewrite.core import scalars

fractions = st.fractions(max_denominator=50).filter(lambda f: abs(f) < 10 ** 6)
values = st.one_of(st.integers(-10 ** 6, 10 ** 6), fractions)


def as_sympy(x):
    return sympy.Rational(x.numerator, x.denominator)


@given(values)
def test_a_number_keys_the_same_as_its_sympy_form(x):
    assert scalars.key(x) == scalars.key(as_sympy(x))
    assert scalars.key(x) == sympy.srepr(as_sympy(x))


@given(st.lists(values, max_size=5))
def test_products_and_sums_agree_with_sympy(xs):
    assert as_sympy(Fraction(scalars.prod(xs))) == sympy.Mul(*map(as_sympy, xs))
    assert as_sympy(Fraction(scalars.total(xs))) == sympy.Add(*map(as_sympy, xs))


@given(values, values.filter(lambda v: v != 0))
def test_division_is_exact_never_a_float(a, b):
    q = scalars.div(a, b)
    assert isinstance(q, (int, Fraction))
    assert as_sympy(Fraction(q)) == as_sympy(Fraction(a)) / as_sympy(Fraction(b))


def test_whole_results_come_back_as_ints():
    assert type(scalars.div(6, 3)) is int
    assert type(scalars.prod([Fraction(1, 2), 4])) is int
    assert type(scalars.normal(sympy.Integer(7))) is int
    assert scalars.normal(sympy.Rational(3, 4)) == Fraction(3, 4)


def test_decimal_text_is_read_exactly():
    assert scalars.number("0.1") == Fraction(1, 10)
    assert scalars.number("1.000000001") != 1
    assert scalars.number("2e3") == 2000 and type(scalars.number("2e3")) is int


def test_symbolic_values_compare_algebraically():
    n = scalars.symbol("n")
    assert scalars.equal(2 * (n + 1), 2 * n + 2)
    assert scalars.key(2 * (n + 1)) == scalars.key(2 * n + 2)
    assert not scalars.equal(n, n + 1)
    assert scalars.is_zero((n + 1) * (n - 1) - (n * n - 1))


def test_a_number_reached_through_sympy_keys_as_the_number():
    n = scalars.symbol("n")
    assert scalars.key(n / n * 3) == scalars.key(3)
    assert scalars.key((n + 1) / (n + 1) / 2) == scalars.key(Fraction(1, 2))


def test_numbers_print_as_sympy_prints_them():
    for x in (3, -3, Fraction(1, 2), Fraction(-7, 3)):
        assert scalars.text(x) == str(as_sympy(Fraction(x)))
