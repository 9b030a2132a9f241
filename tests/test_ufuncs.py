"""The elementwise functions of dualrev/numpy/_ufuncs.py beyond the table: bad input,
the derivatives at the points where JAX's are nan or inaccurate, tuple results, the
zero-derivative functions, NumPy's functions and methods on traced values."""
import math
import warnings

import numpy as np
import pytest

import dualrev
import dualrev.numpy as dnp
from helpers import jax, jnp

X = np.linspace(0.1, 0.9, 12).reshape(3, 4)


def _traced(fn):
    return dualrev.jvp(fn, (X,), (X,))


@pytest.mark.parametrize("fn", [
    lambda x: dnp.arctan2(x * 1j, x), lambda x: dnp.hypot(x * 1j, x),
    lambda x: dnp.logaddexp(x * 1j, x), lambda x: dnp.copysign(x * 1j, x),
    lambda x: dnp.cbrt(x * 1j), lambda x: dnp.fabs(x * 1j), lambda x: dnp.i0(x * 1j),
    lambda x: dnp.ldexp(x, 1.5),
], ids=["arctan2", "hypot", "logaddexp", "copysign", "cbrt", "fabs", "i0", "ldexp_float"])
def test_types_numpy_refuses_raise_typeerror_traced_too(fn):
    with pytest.raises(TypeError):
        fn(X)
    with pytest.raises(TypeError):
        _traced(fn)


def test_clip_bounds_given_twice_raise():
    with pytest.raises(ValueError, match="min` or `max"):
        _traced(lambda x: dnp.clip(x, 0.0, 1.0, min=0.0))
    with pytest.raises(TypeError, match="out="):
        _traced(lambda x: dnp.clip(x, 0.0, 1.0, out=np.empty_like(X)))


def _sinc_series(u, k):
    """The k-th derivative of sin(u) / u from its Maclaurin series, term by term."""
    return sum((-1) ** j * u ** (2 * j - k) / (math.factorial(2 * j - k) * (2 * j + 1))
               for j in range((k + 1) // 2, 30))


@pytest.mark.parametrize("x", [0.0, 1e-9, 1e-4, 0.3, 2.5])
def test_sinc_derivatives_are_accurate_at_and_near_zero(x):
    """sinc(x) = s(pi x), s(u) = sin(u) / u: against s's Maclaurin series for |u| < 1 (where
    the closed forms cancel) and its closed-form derivatives elsewhere."""
    d = [dnp.sinc]
    for _ in range(4):
        d.append(dualrev.grad(d[-1]))
    u = math.pi * x
    if abs(u) < 1:
        want = [_sinc_series(u, k) for k in range(5)]
    else:
        sn, c = math.sin(u), math.cos(u)
        want = [sn / u, (u * c - sn) / u ** 2, ((2 - u * u) * sn - 2 * u * c) / u ** 3]
    for k, w in enumerate(want):
        np.testing.assert_allclose(float(d[k](x)), w * math.pi ** k, rtol=1e-12, atol=1e-13,
                                   err_msg=f"order {k}")


def test_i0_derivatives_at_zero_and_against_scipy():
    sp = pytest.importorskip("scipy.special")
    d1 = dualrev.grad(dnp.i0)
    d2 = dualrev.grad(d1)
    assert float(d1(0.0)) == 0.0
    np.testing.assert_allclose(float(d2(0.0)), 0.5, rtol=1e-14)     # JAX gives 0
    x = np.array([-30.0, -2.0, 0.5, 3.0, 40.0])
    np.testing.assert_allclose(dualrev.vmap(d1)(x), sp.i1(x), rtol=1e-13)
    np.testing.assert_allclose(dualrev.vmap(d2)(x), (sp.i0(x) + sp.iv(2, x)) / 2, rtol=1e-13)


def test_logaddexp_at_infinities_gives_the_limits():
    g = dualrev.grad(dnp.logaddexp, (0, 1))
    inf = np.inf
    assert tuple(map(float, g(inf, 1.0))) == (1.0, 0.0)
    assert tuple(map(float, g(1.0, -inf))) == (1.0, 0.0)
    assert tuple(map(float, g(-inf, -inf))) == (0.5, 0.5)
    assert tuple(map(float, g(inf, inf))) == (0.5, 0.5)
    g2 = dualrev.grad(dnp.logaddexp2, (0, 1))
    assert tuple(map(float, g2(-inf, 3.0))) == (0.0, 1.0)


def test_hypot_and_arctan2_at_the_origin_follow_jax():
    np.testing.assert_array_equal(dualrev.grad(dnp.hypot, (0, 1))(0.0, 0.0),
                                  jax.grad(jnp.hypot, (0, 1))(0.0, 0.0))
    assert all(np.isnan(dualrev.grad(dnp.arctan2, (0, 1))(0.0, 0.0)))


def test_tuple_results_equal_numpys_and_differentiate_their_float_part():
    x = np.array([-2.5, 0.0, 0.75, 6.0, np.inf])
    for name in ("frexp", "modf"):
        got = getattr(dnp, name)(x)
        want = getattr(np, name)(x)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
            assert g.dtype == w.dtype
    exponent, t = dualrev.jvp(lambda v: dnp.frexp(v)[1], (x[:4],), (np.ones(4),))
    np.testing.assert_array_equal(exponent, np.frexp(x[:4])[1])
    assert t.dtype == jax.dtypes.float0          # integers have no tangent, as JAX's
    (q, r), (tq, tr) = dualrev.jvp(lambda v: dnp.divmod(v, 2.0), (x[:4],), (np.ones(4),))
    np.testing.assert_array_equal(q, np.floor_divide(x[:4], 2.0))
    np.testing.assert_array_equal(r, np.remainder(x[:4], 2.0))
    np.testing.assert_array_equal(tq, 0)
    np.testing.assert_array_equal(tr, 1)


@pytest.mark.parametrize("name, args", [
    ("floor_divide", (2.0,)), ("rint", ()), ("fix", ()), ("around", (1,)),
    ("heaviside", (0.5,)), ("signbit", ()), ("spacing", ()), ("nextafter", (0.0,)),
])
def test_zero_derivative_functions_give_numpys_value_and_zero(name, args):
    x = np.array([-1.75, -0.5, 0.0, 0.5, 2.25])
    out, t = dualrev.jvp(lambda v: getattr(dnp, name)(v, *args), (x,), (np.ones(5),))
    np.testing.assert_array_equal(out, getattr(np, name)(x, *args))
    if out.dtype == bool:
        assert t.dtype == jax.dtypes.float0
    else:
        np.testing.assert_array_equal(t, 0)
    assert not np.any(dualrev.grad(lambda v: dnp.sum(getattr(dnp, name)(v, *args) * v))(x)
                      - getattr(np, name)(x, *args))


def test_numpy_functions_and_methods_on_traced_values_reach_dualrev():
    def f(m, x):
        return (m.sum(m.clip(x, 0.3, 0.7)) + m.sum(m.log1p(x) * m.arctan2(x, 1.5 - x))
                + m.sum(m.hypot(x, 0.5) * m.expm1(x)) + m.sum(x.clip(0.2, 0.6)))
    g = dualrev.grad(lambda x: f(np, x))(X)
    np.testing.assert_allclose(g, jax.grad(lambda x: f(jnp, x))(X), rtol=1e-13)
    np.testing.assert_allclose(dualrev.grad(lambda x: dnp.sum(x.round(1) * x))(X),
                               np.round(X, 1))


def test_untraced_calls_give_numpys_values_and_dtypes():
    x32 = X.astype(np.float32)
    for name in ("arcsin", "arctanh", "log1p", "expm1", "log2", "exp2", "cbrt", "sinc", "i0",
                 "reciprocal", "deg2rad", "fabs"):
        for x in (X, x32):
            got, want = getattr(dnp, name)(x), getattr(np, name)(x)
            assert got.dtype == want.dtype, name
            np.testing.assert_array_equal(got, want, err_msg=name)
    for name in ("arctan2", "hypot", "logaddexp", "logaddexp2", "copysign", "fmax", "fmin",
                 "float_power"):
        got, want = getattr(dnp, name)(x32, X[::-1]), getattr(np, name)(x32, X[::-1])
        assert got.dtype == want.dtype, name
        np.testing.assert_array_equal(got, want, err_msg=name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(dnp.nan_to_num(np.array([np.nan, -np.inf])),
                                      np.nan_to_num(np.array([np.nan, -np.inf])))
