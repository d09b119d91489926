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


# ------------------------------------------------------------------ monomials

NAMES = ("n", "m", "k", "D", "d1", "d2", "chi", "α", "N_b")
monomials = st.builds(
    lambda c, powers: scalars.prod([c] + [scalars.symbol(k) ** e for k, e in powers.items()]),
    fractions.filter(lambda f: f != 0),
    st.dictionaries(st.sampled_from(NAMES), st.integers(-3, 3).filter(bool), max_size=4))


def sympy_form(x):
    """The same value built by sympy alone, from the monomial's own data."""
    if not isinstance(x, scalars.Mono):
        return as_sympy(Fraction(x))
    out = as_sympy(Fraction(x.coeff))
    for k, e in x.powers:
        out = out * sympy.Symbol(k, positive=True, integer=True) ** e
    return out


@given(monomials)
def test_a_monomial_prints_as_sympy_prints_it(x):
    assert str(x) == str(sympy_form(x))


@given(monomials, monomials)
def test_monomial_arithmetic_agrees_with_sympy(a, b):
    assert sympy_form(a * b) == sympy_form(a) * sympy_form(b)
    assert sympy_form(scalars.div(a, b)) == sympy_form(a) / sympy_form(b)
    assert sympy.expand(scalars.sympify(a + b) - (sympy_form(a) + sympy_form(b))) == 0


@given(monomials)
def test_a_monomial_keys_the_same_whichever_form_it_comes_in(x):
    assert scalars.key(x) == scalars.key(sympy_form(x))
    assert scalars.normal(sympy_form(x)) == x


@given(monomials)
def test_a_monomial_equals_its_sympy_form_both_ways(x):
    assert x == sympy_form(x) and sympy_form(x) == x
    assert scalars.equal(x, sympy_form(x))


def test_symbolic_sizes_need_no_sympy():
    n, m = scalars.symbol("n"), scalars.symbol("m")
    assert scalars.is_size(2 * n * m) and not scalars.is_size(n / 2)
    assert scalars.at_least(n * m, m) and scalars.at_least(n, n)
    assert scalars.at_least(m, n * m) is None  # true only when n = 1: sympy decides
    assert scalars.key(n * m) == scalars.key(m * n)
    assert scalars.is_zero(n - n) and not scalars.is_zero(n)


def sympy_size_text(s):
    """The reference: the language's text of a size, read off sympy's factors."""
    factors = []
    for base, exp in s.as_powers_dict().items():
        if not (exp.is_Integer and exp > 0 and (base.is_Symbol or base.is_Integer)):
            return str(s)
        factors.extend([str(base)] * int(exp))
    return "*".join(factors)


sizes = st.builds(
    lambda c, powers: scalars.prod([c] + [scalars.symbol(k) ** e for k, e in powers.items()]),
    st.integers(1, 12), st.dictionaries(st.sampled_from(NAMES), st.integers(1, 3), max_size=4))


@given(sizes)
def test_the_printer_writes_a_size_in_sympys_factor_order(x):
    from rewrite.views.printer import size_text

    assert size_text(x) == sympy_size_text(sympy_form(x))


@given(monomials.filter(lambda x: isinstance(x, scalars.Mono)))
def test_a_monomial_formats_and_takes_absolute_values_as_sympy_does(x):
    assert f"{x:>30}" == f"{str(sympy_form(x)):>30}"
    assert sympy_form(abs(x)) == abs(sympy_form(x))
