"""dualrev.scipy.special and dualrev.scipy.stats beyond the primitive table: the NumPy
implementations used without SciPy, values and derivatives at edges (where the table's
Jacobians would hold 0 * inf), SciPy's own results for untraced calls, errors."""
import math

import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as ss

import dualrev.scipy.special as dsp
import dualrev.scipy.stats as dst
from helpers import dnp, dualrev, jax, jnp

jsp = jax.scipy.special
grad = dualrev.grad


# ============================================================================ without SciPy

@pytest.fixture
def no_scipy(monkeypatch):
    monkeypatch.setattr(dsp, "_scipy", None)


_POINTS = {
    "erf": np.linspace(-6, 6, 41), "erfc": np.linspace(-6, 26, 41),
    "erfinv": np.concatenate([np.linspace(-0.999999, 0.999999, 41), [1e-20, -1e-12, 1.0, -1.0,
                                                                      1 - 2 ** -52]]),
    "erfcx": np.concatenate([np.linspace(-5, 40, 46), [1e3, 1e8]]),
    "gammaln": np.concatenate([np.linspace(0.01, 50, 41), [-0.5, -2.5, 1e5]]),
    "gamma": np.concatenate([np.linspace(0.05, 20, 41), [-0.5, -3.7]]),
    "digamma": np.concatenate([np.linspace(0.01, 50, 41), [-0.5, -2.3, -10.1, 1e6]]),
    "ndtr": np.linspace(-30, 10, 41), "ndtri": np.concatenate(
        [np.linspace(0.001, 0.999, 41), [1e-300, 1e-50, 1e-10, 1 - 1e-10, 0.5]]),
    "log_ndtr": np.concatenate([np.linspace(-60, 10, 71), [-1e3, 20.0]]),
    "expit": np.linspace(-800, 800, 41), "logit": np.linspace(0.001, 0.999, 41),
    "entr": np.linspace(0, 5, 21), "i0": np.linspace(-20, 20, 41),
}


@pytest.mark.parametrize("name", sorted(_POINTS))
def test_numpy_implementations_match_scipy(name, no_scipy):
    x = _POINTS[name]
    fn = getattr(sc, name)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(getattr(dsp, name)(x), fn(x), rtol=1e-12, atol=1e-300)
        x32 = x.astype(np.float32)
        assert getattr(dsp, name)(x32).dtype == np.float32


def test_numpy_implementations_of_two_argument_functions(no_scipy):
    x = np.linspace(0.05, 30, 23)
    for n in (0, 1, 2, 3, 6):
        np.testing.assert_allclose(dsp.polygamma(n, x), sc.polygamma(n, x), rtol=1e-12)
    np.testing.assert_allclose(dsp.polygamma(np.array([1, 2]), -2.3), sc.polygamma([1, 2], -2.3),
                               rtol=1e-11)
    a, b = np.meshgrid(np.linspace(0.1, 20, 7), np.linspace(0.2, 15, 5))
    np.testing.assert_allclose(dsp.betaln(a, b), sc.betaln(a, b), rtol=1e-12)
    xs, ys = np.array([0.0, 0.0, 2.0, 0.0, 3.0]), np.array([0.0, 1.5, 0.5, np.nan, -1.0])
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(dsp.xlogy(xs, ys), sc.xlogy(xs, ys))
        np.testing.assert_allclose(dsp.xlog1py(xs, ys - 1), sc.xlog1py(xs, ys - 1))
    assert dsp.xlogy(np.float32(2), 3.0).dtype == np.float32
    with pytest.raises(ValueError, match="non-negative integer"):
        dsp.polygamma(-1, 2.0)


def test_derivatives_without_scipy(no_scipy):
    x = np.array([0.3, 1.7, 4.2])
    np.testing.assert_allclose(grad(lambda v: dnp.sum(dsp.gammaln(v)))(x), sc.digamma(x),
                               rtol=1e-12)
    np.testing.assert_allclose(dualrev.hessian(lambda v: dsp.gammaln(v))(1.7),
                               sc.polygamma(1, 1.7), rtol=1e-12)
    np.testing.assert_allclose(grad(dsp.erfinv)(0.3), math.sqrt(math.pi) / 2 *
                               math.exp(sc.erfinv(0.3) ** 2), rtol=1e-12)


@pytest.mark.parametrize("name", ["i1", "i0e", "i1e"])
def test_bessel_functions_without_scipy_name_it(name, no_scipy):
    with pytest.raises(ImportError, match="pip install scipy"):
        getattr(dsp, name)(np.array([0.5]))
    with pytest.raises(ImportError, match="SciPy"):
        grad(dsp.i0)(0.5)


# ============================================================================ edges

def test_infinite_derivatives_at_the_edges_as_jax():
    for fn in ("erfinv", "logit", "entr"):
        for x in {"erfinv": (-1.0, 1.0), "logit": (0.0, 1.0), "entr": (0.0,)}[fn]:
            want = (getattr(jsp, fn)(x), jax.grad(getattr(jsp, fn))(x))
            got = (getattr(dsp, fn)(x), grad(getattr(dsp, fn))(x))
            np.testing.assert_array_equal(np.array(got), np.array(want), err_msg=f"{fn}({x})")
    assert dsp.erfinv(1.0) == np.inf and dsp.logit(0.0) == -np.inf
    # ndtri'(0) and ndtri'(1) are inf (JAX gives 0), as erfinv'(+-1).
    assert (dsp.ndtri(0.0), grad(dsp.ndtri)(0.0), grad(dsp.ndtri)(1.0)) == (-np.inf, np.inf, np.inf)


def test_xlogy_at_zero():
    """0 at x = 0 (even at y = 0); d/dx = log(y) (-inf at y = 0, as JAX) and d/dy = 0 there
    (the function is 0 along x = 0; JAX's x / y is nan)."""
    assert dsp.xlogy(0.0, 0.0) == 0.0 and dsp.xlog1py(0.0, -1.0) == 0.0
    assert grad(dsp.xlogy, (0, 1))(0.0, 0.0) == (-np.inf, 0.0)
    assert grad(dsp.xlog1py, (0, 1))(0.0, -1.0) == (-np.inf, 0.0)
    h = dualrev.hessian(dsp.xlogy, (0, 1))(0.0, 2.0)
    np.testing.assert_allclose(np.array(h, dtype=float), [[0, 0.5], [0.5, 0]])
    for order in range(1, 4):   # finite at every order at (0, 0)
        f = dsp.xlogy
        for _ in range(order):
            f = grad(f, 1)
        assert np.isfinite(f(0.0, 0.0)), order


def test_i1_derivatives_at_zero_are_the_true_ones():
    """i1 = x/2 + x^3/16 + ...: i1'(0) = 1/2, i1''(0) = 0 (JAX gives 1), i1'''(0) = 3/8."""
    d1 = grad(dsp.i1)
    d2 = grad(d1)
    d3 = grad(d2)
    np.testing.assert_allclose([d1(0.0), d2(0.0), d3(0.0)], [0.5, 0.0, 0.375], atol=1e-15)
    np.testing.assert_allclose(grad(grad(dsp.i0))(0.0), 0.5)
    # i0e and i1e at 0: as JAX (sign(0) = 0 in the derivative of exp(-|x|)).
    for name in ("i0e", "i1e"):
        np.testing.assert_allclose(grad(getattr(dsp, name))(0.0),
                                   jax.grad(getattr(jsp, name))(0.0))
        np.testing.assert_allclose(grad(grad(getattr(dsp, name)))(0.0),
                                   jax.grad(jax.grad(getattr(jsp, name)))(0.0))


def test_log_ndtr_tails():
    x = np.array([-1e3, -40.0, -10.0, 10.0, 40.0])
    np.testing.assert_allclose(dsp.log_ndtr(x), sc.log_ndtr(x), rtol=1e-14)
    g = dualrev.vmap(grad(dsp.log_ndtr))(x)
    np.testing.assert_allclose(g, jax.vmap(jax.grad(jsp.log_ndtr))(x), rtol=1e-9)
    assert np.all(np.isfinite(g))


def test_logsumexp_edges_as_jax():
    ninf = np.array([-np.inf, -np.inf])
    assert dsp.logsumexp(ninf) == -np.inf
    assert np.isnan(grad(dsp.logsumexp)(ninf)).all()          # as JAX
    np.testing.assert_array_equal(grad(dsp.logsumexp)(np.array([-np.inf, 1.0])), [0.0, 1.0])
    np.testing.assert_array_equal(
        dualrev.hessian(dsp.logsumexp)(np.array([-np.inf, 1.0])), np.zeros((2, 2)))
    assert dsp.logsumexp(np.array([np.inf, 1.0])) == np.inf
    a, b = np.array([1.0, 2.0]), np.array([1.0, -1.0])
    assert np.isnan(dsp.logsumexp(a, b=b))                       # a negative sum
    val, sign = dsp.logsumexp(a, b=b, return_sign=True)
    np.testing.assert_allclose((val, sign), jsp.logsumexp(a, b=b, return_sign=True))
    np.testing.assert_allclose(grad(lambda a: dsp.logsumexp(a, b=b, return_sign=True)[0])(a),
                               jax.grad(lambda a: jsp.logsumexp(a, b=b, return_sign=True)[0])(a))
    assert dsp.logsumexp(a, b=np.zeros(2), return_sign=True) == (-np.inf, 0.0)


def test_outside_the_support_the_derivative_is_zero():
    """JAX's derivative of beta.logpdf in a is nan where x is outside [0, 1]; the log
    density is -inf there whatever a is, so it is 0."""
    x = np.array([-0.5, 0.3, 1.5])
    g = grad(lambda a: dnp.sum(dst.beta.logpdf(x, a, 2.0)))(np.array([1.5, 1.5, 1.5]))
    np.testing.assert_allclose(g, [0.0, jax.grad(lambda a: jst_beta(0.3, a))(1.5), 0.0])
    assert dst.gamma.pdf(-1.0, 2.0) == 0.0
    assert grad(dst.gamma.logpdf, (0, 1))(-1.0, 2.0) == (0.0, 0.0)


def jst_beta(x, a):
    return jax.scipy.stats.beta.logpdf(x, a, 2.0)


# ============================================================================ untraced values

@pytest.mark.parametrize("kw", [dict(), dict(axis=1), dict(axis=(0, 2), keepdims=True),
                                dict(axis=-1, b=np.array([0.5, 2.0, 1.0, 3.0])),
                                dict(axis=0, b=np.array([1.0, -1.0]).reshape(2, 1, 1),
                                     return_sign=True)])
def test_logsumexp_matches_scipy(kw):
    a = np.random.default_rng(0).normal(size=(2, 3, 4))
    np.testing.assert_allclose(dsp.logsumexp(a, **kw), sc.logsumexp(a, **kw), rtol=1e-14)
    z = a + 1j * a[::-1]
    np.testing.assert_allclose(dsp.logsumexp(z, axis=kw.get("axis")),
                               sc.logsumexp(z, axis=kw.get("axis")), rtol=1e-14)


def test_softmax_matches_scipy():
    x = np.random.default_rng(1).normal(size=(3, 4))
    for axis in (None, 0, 1, (0, 1)):
        np.testing.assert_allclose(dsp.softmax(x, axis=axis), sc.softmax(x, axis=axis))
        np.testing.assert_allclose(dsp.log_softmax(x, axis=axis), sc.log_softmax(x, axis=axis))


def test_stats_match_scipy():
    x = np.linspace(-3, 3, 7)
    pos = np.linspace(0.1, 0.9, 7)
    checks = [
        (dst.norm.logpdf(x, 0.5, 2.0), ss.norm.logpdf(x, 0.5, 2.0)),
        (dst.norm.logcdf(x - 20), ss.norm.logcdf(x - 20)),
        (dst.norm.ppf(pos, 1.0, 3.0), ss.norm.ppf(pos, 1.0, 3.0)),
        (dst.t.logpdf(x, 2.5, 0.3, 1.7), ss.t.logpdf(x, 2.5, 0.3, 1.7)),
        (dst.cauchy.cdf(x, 0.2, 0.7), ss.cauchy.cdf(x, 0.2, 0.7)),
        (dst.logistic.logpdf(x * 300, 1.0, 2.0), ss.logistic.logpdf(x * 300, 1.0, 2.0)),
        (dst.laplace.cdf(x, 0.1, 0.5), ss.laplace.cdf(x, 0.1, 0.5)),
        (dst.gamma.logpdf(x + 3, 2.5, 0.5, 1.5), ss.gamma.logpdf(x + 3, 2.5, 0.5, 1.5)),
        (dst.beta.logpdf(pos, 0.7, 2.5), ss.beta.logpdf(pos, 0.7, 2.5)),
        (dst.poisson.logpmf(np.arange(7.0), 2.5), ss.poisson.logpmf(np.arange(7), 2.5)),
        (dst.dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), np.array([1.5, 2.0, 3.0])),
         ss.dirichlet.logpdf(np.array([0.2, 0.3, 0.5]), np.array([1.5, 2.0, 3.0]))),
    ]
    for got, want in checks:
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert dst.norm.logpdf(np.float32(0.5), 0, 1).dtype == np.float32
    assert dst.t.logpdf(np.ones(2, np.float32), 3.0).dtype == np.float32
    from dualrev.scipy.stats import norm   # the namespaces are importable modules
    import dualrev.scipy.stats.norm as norm2
    assert norm is norm2 is dst.norm


def test_vmap_of_logsumexp_with_one_argument_batched():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(4, 3)), rng.uniform(0.5, 2, size=3)
    f = lambda a, b: dsp.logsumexp(a, b=b)   # noqa: E731
    g = lambda a, b: jsp.logsumexp(a, b=b)   # noqa: E731
    np.testing.assert_allclose(dualrev.vmap(f, (0, None))(a, b), jax.vmap(g, (0, None))(a, b))
    np.testing.assert_allclose(dualrev.vmap(f, (None, 0))(b, a), jax.vmap(g, (None, 0))(b, a))
    np.testing.assert_allclose(dualrev.vmap(grad(f, 1), (0, None))(a, b),
                               jax.vmap(jax.grad(g, 1), (0, None))(a, b))


# ============================================================================ errors

def test_errors():
    with pytest.raises(ValueError, match="a > \\(d - 1\\)/2"):
        dsp.multigammaln(0.5, 3)
    with pytest.raises(ValueError, match="positive integer"):
        dsp.multigammaln(3.0, 0)
    with pytest.raises(np.exceptions.AxisError, match="logsumexp"):
        dsp.logsumexp(np.ones((2, 3)), axis=2)
    with pytest.raises(np.exceptions.AxisError, match="softmax"):
        grad(lambda x: dsp.softmax(x, axis=1)[0])(np.ones(3))
    with pytest.raises(ValueError, match="one-dimensional"):
        dst.dirichlet.logpdf(np.ones((2, 2)) / 2, np.ones((2, 2)))
    with pytest.raises(ValueError, match="one entry fewer"):
        dst.dirichlet.logpdf(np.ones(5) / 5, np.ones(3))


def test_lists_holding_traced_values():
    assert grad(lambda x: dsp.logsumexp([x, 2 * x, 0.0]))(0.0) == pytest.approx(1.0)
    assert grad(lambda x: dsp.softmax([x, 0.0])[0])(0.0) == pytest.approx(0.25)
    assert grad(lambda x: dsp.log_softmax([x, 0.0])[1])(0.0) == pytest.approx(-0.5)
