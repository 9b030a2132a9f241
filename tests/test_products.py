"""Products, polynomials and the differentiable constructors of
dualrev/numpy/_products.py and _creation.py beyond the table: bad input as NumPy raises
it, polyfit's extra results and warning, untraced results, NumPy's functions on traced
values."""
import warnings

import numpy as np
import pytest

import dualrev
import dualrev.numpy as dnp
from helpers import jax, jnp

X = np.linspace(0.1, 1.2, 12).reshape(3, 4)


def _traced(fn):
    return dualrev.jvp(fn, (X,), (X,))


@pytest.mark.parametrize("fn, error, match", [
    (lambda x: dnp.tensordot(x, x, axes=([0], [1])), ValueError, "shape-mismatch"),
    (lambda x: dnp.inner(x, x.T), ValueError, "not aligned"),
    (lambda x: dnp.cross(x, x), ValueError, "incompatible dimensions"),
    (lambda x: dnp.convolve(x[0, :0], x[0]), ValueError, "cannot be empty"),
    (lambda x: dnp.convolve(x[0], x[1], mode="bad"), ValueError, "mode must be one of"),
    (lambda x: dnp.vecdot(x, x[:, :3]), ValueError, "mismatch in its core dimension"),
    (lambda x: dnp.matvec(x, x[0, :3]), ValueError, "mismatch in its core dimension"),
    (lambda x: dnp.trace(x[0]), ValueError, "at least two dimensions"),
    (lambda x: dnp.polyfit(x[0], x[1], -1), ValueError, "deg >= 0"),
    (lambda x: dnp.polyfit(x[0], x[1, :3], 1), TypeError, "same length"),
    (lambda x: dnp.roots(x), ValueError, "rank-1"),
    (lambda x: dnp.vander(x), ValueError, "one-dimensional"),
    (lambda x: dnp.linspace(x[0], x[1], -1), ValueError, "must be non-negative"),
    (lambda x: dnp.geomspace(x[0] * 0, x[1], 3), ValueError, "cannot include zero"),
], ids=["tensordot", "inner", "cross", "convolve_empty", "convolve_mode", "vecdot", "matvec",
        "trace", "polyfit_deg", "polyfit_lengths", "roots", "vander", "linspace", "geomspace"])
def test_bad_input_raises_as_numpy(fn, error, match):
    with pytest.raises(error, match=match):
        _traced(fn)
    with pytest.raises(error):      # NumPy's own error, for the same call untraced
        fn(X)


@pytest.mark.parametrize("name, args", [
    ("tensordot", (X, X.T, 1)), ("inner", (X, X)), ("vdot", (X, X)), ("kron", (X[:2], X[0])),
    ("cross", (X[:, :3], X[::-1, :3])), ("convolve", (X[0], X[1], "same")),
    ("correlate", (X[0], X[1, :2] + 1j)), ("trace", (X, 1)), ("polyval", (X[0], X)),
    ("polyder", (X[0], 2)), ("polyint", (X[0],)), ("polymul", (X[0], X[1])),
    ("polydiv", (X[0], X[1, :2])), ("roots", (X[0],)), ("vander", (X[0], 3)),
    ("linspace", (X[0], X[1], 5)), ("geomspace", (X[0], X[1], 5)),
])
def test_untraced_calls_give_numpys_results(name, args):
    want = getattr(np, name)(*args)
    got = getattr(dnp, name)(*args)
    for g, w in zip(got if isinstance(want, tuple) else (got,),
                    want if isinstance(want, tuple) else (want,)):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


def test_polyfit_full_results_are_numpys_and_rank_deficiency_warns():
    x, y = X[0] * 3, np.sin(5 * X[1])
    got = dualrev.jvp(lambda v: dnp.polyfit(x, v, 2, full=True), (y,), (y,))[0]
    want = np.polyfit(x, y, 2, full=True)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    with pytest.warns(np.exceptions.RankWarning):
        dualrev.grad(lambda v: dnp.sum(dnp.polyfit(np.ones(4), v, 2)))(y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dualrev.grad(lambda v: dnp.sum(dnp.polyfit(x, v, 2)))(y)


def test_numpy_functions_on_traced_values_reach_dualrev():
    def f(m, x):
        return (m.sum(m.tensordot(x, x, axes=([1], [1]))) + m.sum(m.kron(x[0], x[1]))
                + m.sum(m.polyval(x[0], x[1])) + m.trace(x[:, :3]) + m.vdot(x[0], x[2])
                + m.sum(m.convolve(x[0], x[1])) + m.sum(m.linspace(x[0], x[1], 3)))
    g = dualrev.grad(lambda x: f(np, x))(X)
    np.testing.assert_allclose(g, jax.grad(lambda x: f(jnp, x))(X), rtol=1e-13)


def test_roots_derivative_is_minus_the_coefficient_sensitivity():
    """For a simple root r of p, dr/dp_k = -r^(n-k) / p'(r) (implicit function theorem)."""
    p = np.poly([2.0, -1.0, 0.5]) * 1.5
    jac = dualrev.jacfwd(lambda c: dnp.real(dnp.roots(c)))(p)
    r = np.roots(p)
    dp = np.polyval(np.polyder(p), r)
    want = -np.real(r[:, None] ** np.arange(3, -1, -1)[None, :] / dp[:, None])
    np.testing.assert_allclose(jac, want, rtol=1e-10, atol=1e-12)
