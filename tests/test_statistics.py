"""Statistics, cumulative functions and sorting: what the primitive table cannot express
(bad input, warnings, conventions at degenerate points, constants, NumPy's dtypes)."""
import warnings

import numpy as np
import pytest

from helpers import dnp, dualrev, jax, jnp

X = np.array([[0.3, -1.2, 2.0, 0.7], [1.1, 0.4, -0.5, 0.9], [-0.8, 1.6, 0.2, -0.3]])


def _grad(f, x):
    return dualrev.grad(lambda x: dnp.sum(f(dnp, x)))(x), jax.grad(lambda x: jnp.sum(f(jnp, x)))(x)


# ---------------------------------------------------------------- ddof >= N

@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("ddof", [3, 4])
def test_ddof_at_least_n_gives_numpy_value_and_jax_derivative(name, ddof):
    x = np.array([0.0, 1.0, 3.0])
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        want = getattr(np, name)(x, ddof=ddof)
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        got = dualrev.jvp(lambda x: getattr(dnp, name)(x, ddof=ddof), (x,), (np.ones(3),))[0]
    assert np.isinf(want) and got == want
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        g = dualrev.grad(lambda x: getattr(dnp, name)(x, ddof=ddof))(x)
        gj = np.asarray(jax.grad(lambda x: getattr(jnp, name)(x, ddof=ddof))(x))
    np.testing.assert_array_equal(g, gj)     # nan for ddof == N, 0 for ddof > N


def test_nanvar_with_no_degrees_of_freedom_is_nan_as_numpy():
    x = np.array([[1.0, np.nan, np.nan], [1.0, 2.0, 4.0]])
    with pytest.warns(RuntimeWarning):
        want = np.nanvar(x, axis=1, ddof=1)
    with pytest.warns(RuntimeWarning, match="Degrees of freedom"):
        out, g = dualrev.value_and_grad(lambda x: dnp.sum(dnp.nanvar(x, axis=1, ddof=1)))(x)
    np.testing.assert_allclose(dnp.nanvar(dualrev.stop_gradient(x), axis=1, ddof=1), want)
    assert np.isnan(out)
    np.testing.assert_array_equal(g[0], 0.0)


def test_all_nan_slice_gives_nan_with_numpy_s_warning_and_zero_derivative():
    x = np.array([[np.nan, np.nan], [1.0, 3.0]])
    for name in ("nanmax", "nanmin", "nanmedian"):
        with pytest.warns(RuntimeWarning, match="All-NaN slice"):
            g = dualrev.grad(lambda x: dnp.nansum(getattr(dnp, name)(x, axis=1)))(x)
        np.testing.assert_array_equal(g[0], 0.0)
    with pytest.warns(RuntimeWarning, match="All-NaN slice"):
        out = dualrev.jvp(lambda x: dnp.nanmax(x, axis=1), (x,), (np.ones_like(x),))[0]
    np.testing.assert_array_equal(out, [np.nan, 3.0])


# ---------------------------------------------------------------- conventions

def test_cumprod_derivatives_with_zeros_match_jax_to_second_order():
    x = np.array([2.0, 0.0, 3.0, 0.0, -1.5])
    f = lambda m, x: m.cumprod(x)[-2] + m.cumprod(x)[2]   # noqa: E731
    np.testing.assert_allclose(*_grad(f, x))
    h = dualrev.hessian(lambda x: f(dnp, x))(x)
    np.testing.assert_allclose(h, jax.hessian(lambda x: f(jnp, x))(x))


def test_sort_ties_follow_jax_and_sort_composes_with_indexing():
    x = np.array([2.0, 1.0, 2.0, 1.0, 0.5])
    g = dualrev.jacrev(lambda x: dnp.sort(x))(x)
    np.testing.assert_array_equal(g, jax.jacrev(jnp.sort)(x))
    f = lambda m, x: m.sort(x)[::-1][:2] * m.arange(1.0, 3.0)   # noqa: E731
    np.testing.assert_allclose(*_grad(f, x))


def test_median_and_quantile_convention_against_jax():
    x = np.array([3.0, 1.0, 2.0, 5.0])
    np.testing.assert_allclose(dualrev.grad(dnp.median)(x), [0.5, 0.0, 0.5, 0.0])
    for q in (0.0, 1.0 / 3.0, 0.5, 1.0):
        for method in ("linear", "lower", "higher", "midpoint"):
            g = dualrev.grad(lambda x, q: dnp.quantile(x, q, method=method), (0, 1))(x, q)
            gj = jax.grad(lambda x, q: jnp.quantile(x, q, method=method), (0, 1))(x, q)
            np.testing.assert_allclose(g[0], gj[0], err_msg=f"{method} {q}")
            np.testing.assert_allclose(g[1], gj[1], atol=1e-12, err_msg=f"{method} {q}")


def test_nearest_rounds_half_to_even_as_numpy():
    x = np.array([4.0, 1.0, 2.0, 3.0])     # q (n - 1) = 1.5: NumPy takes index 2, JAX 1
    t = dualrev.jvp(lambda x: dnp.quantile(x, 0.5, method="nearest"), (x,), (np.ones(4),))
    assert t[0] == np.quantile(x, 0.5, method="nearest") == 3.0


def test_cov_with_frequency_and_analytic_weights_against_jax():
    f = np.array([1, 2, 1, 3])
    w = np.array([0.5, 1.5, 1.0, 2.0])
    fn = lambda m, x, w: m.cov(x, fweights=f, aweights=w, ddof=2)   # noqa: E731
    got = dualrev.jacrev(lambda x, w: fn(dnp, x, w), (0, 1))(X, w)
    want = jax.jacrev(lambda x, w: fn(jnp, x, w), (0, 1))(X, w)
    np.testing.assert_allclose(fn(dnp, dualrev.stop_gradient(X), w), np.cov(X, fweights=f,
                                                                                aweights=w, ddof=2))
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, atol=1e-12)


def test_gradient_edge_order_2_with_coordinates_matches_numpy_and_is_linear():
    x = np.array([0.0, 0.3, 1.0, 1.4, 2.5])
    f = np.sin(X[:, :1] + x)
    got = dualrev.jvp(lambda f: dnp.gradient(f, x, axis=1, edge_order=2), (f,), (f,))
    want = np.gradient(f, x, axis=1, edge_order=2)
    np.testing.assert_allclose(got[0], want)
    np.testing.assert_allclose(got[1], want)      # linear in f: its own tangent
    gx = dualrev.jacrev(lambda x: dnp.gradient(f, x, axis=1, edge_order=2))(x)
    eps = 1e-6
    num = np.stack([(np.gradient(f, x + eps * e, axis=1, edge_order=2)
                     - np.gradient(f, x - eps * e, axis=1, edge_order=2)) / (2 * eps)
                    for e in np.eye(5)], axis=-1)
    np.testing.assert_allclose(gx, num, rtol=1e-5, atol=1e-6)


def test_numpy_dtypes_and_shapes_on_traced_values():
    x32 = X.astype(np.float32)
    traced = lambda fn: dualrev.jvp(fn, (x32,), (np.ones_like(x32),))[0]   # noqa: E731
    assert traced(lambda x: dnp.cov(x)).dtype == np.cov(x32).dtype == np.float64
    assert traced(lambda x: dnp.quantile(x, np.array([0.3]))).dtype == np.float64
    assert traced(lambda x: dnp.quantile(x, 0.3)).dtype == np.float32
    assert traced(lambda x: dnp.sort_complex(x)).dtype == np.complex128
    assert traced(lambda x: dnp.cumulative_sum(x, axis=1)).shape == (3, 4)
    assert traced(lambda x: dnp.cumulative_prod(x, axis=0, include_initial=True)).shape == (4, 4)
    avg, scl = dualrev.jvp(lambda x: dnp.average(x, axis=1, returned=True), (X,), (X,))[0]
    np.testing.assert_allclose(scl, np.average(X, axis=1, returned=True)[1])
    g = traced(lambda x: dnp.gradient(x))
    assert isinstance(g, tuple) and len(g) == 2


def test_partition_matches_numpy_and_its_derivative_follows_the_values():
    x = np.array([[0.3, -1.2, 2.0, 0.7, 1.1], [1.1, 0.4, -0.5, 0.9, 0.0]])
    out, t = dualrev.jvp(lambda x: dnp.partition(x, 2), (x,), (x * 10,))
    np.testing.assert_array_equal(out, np.partition(x, 2))
    np.testing.assert_array_equal(t, out * 10)


# ---------------------------------------------------------------- constants

def test_orderings_are_constants_equal_to_numpy_s_and_batch_under_vmap():
    xn = X.copy()
    xn[0, 2] = np.nan

    def f(x):
        return dnp.sum(x) * 0, dnp.argsort(x, axis=0), dnp.nanargmax(x, axis=1), \
            dnp.nanargmin(x), dnp.argpartition(x, 1), x.argsort()
    (_, a, b, c, d, e), _ = dualrev.jvp(f, (xn,), (np.ones_like(xn),))
    np.testing.assert_array_equal(a, np.argsort(xn, axis=0))
    np.testing.assert_array_equal(b, np.nanargmax(xn, axis=1))
    assert c == np.nanargmin(xn)
    np.testing.assert_array_equal(np.take_along_axis(xn, d, -1)[:, 1], np.partition(xn, 1)[:, 1])
    np.testing.assert_array_equal(e, np.argsort(xn))
    batch = np.stack([X, -X, X[::-1]])
    out = dualrev.vmap(lambda x: dnp.argsort(x, axis=0))(batch)
    np.testing.assert_array_equal(out, np.argsort(batch, axis=1, kind="stable"))
    out = dualrev.vmap(lambda x: dnp.nanargmax(x, keepdims=True, axis=0))(batch)
    np.testing.assert_array_equal(out, np.nanargmax(batch, axis=1, keepdims=True))


def test_methods_of_traced_values():
    def f(x):
        return x.cumsum(axis=0) + x.cumprod(axis=1) + x.var() + x.std(axis=0)
    np.testing.assert_allclose(dualrev.jacfwd(f)(X), jax.jacfwd(
        lambda x: x.cumsum(axis=0) + x.cumprod(axis=1) + x.var() + x.std(axis=0))(X))


def test_numpy_functions_on_traced_values_reach_dualrev():
    g = dualrev.grad(lambda x: np.sum(np.sort(x) * np.arange(4.0)) + np.median(x))(X[0])
    gj = jax.grad(lambda x: jnp.sum(jnp.sort(x) * jnp.arange(4.0)) + jnp.median(x))(X[0])
    np.testing.assert_allclose(g, gj)


def test_lists_holding_traced_values():
    g = dualrev.grad(lambda x: dnp.var([x, 2.0 * x, 1.0]) + dnp.cumsum([x, x])[1])(0.5)
    gj = jax.grad(lambda x: jnp.var(jnp.array([x, 2.0 * x, 1.0])) + jnp.cumsum(
        jnp.array([x, x]))[1])(0.5)
    np.testing.assert_allclose(g, gj)


# ---------------------------------------------------------------- bad input

def _traced(fn):
    return dualrev.jvp(fn, (X,), (X,))


@pytest.mark.parametrize("fn, error, match", [
    (lambda x: dnp.quantile(x, 1.5), ValueError, "Quantiles must be in the range"),
    (lambda x: dnp.percentile(x, -1.0), ValueError, "Percentiles must be in the range"),
    (lambda x: dnp.quantile(x * 1j, 0.5), TypeError, "real numbers"),
    (lambda x: dnp.var(x, ddof=1, correction=1), ValueError, "simultaneously"),
    (lambda x: dnp.diff(x, n=-1), ValueError, "non-negative"),
    (lambda x: dnp.cumsum(x, axis=2), np.exceptions.AxisError, "cumsum"),
    (lambda x: dnp.sort(x, axis=-3), np.exceptions.AxisError, "sort"),
    (lambda x: dnp.cumulative_sum(x), ValueError, "axis must be given"),
    (lambda x: dnp.cov(dnp.reshape(x, (1, 3, 4))), ValueError, "more than 2 dimensions"),
    (lambda x: dnp.gradient(x[:, :1], axis=1), ValueError, "too small"),
    (lambda x: dnp.gradient(x, np.ones(3), axis=1), ValueError, "match the length"),
    (lambda x: dnp.average(x, weights=np.ones(4)), TypeError, "Axis must be specified"),
    (lambda x: dnp.average(x, axis=1, weights=np.array([1.0, -1.0, 0.0, 0.0])),
     ZeroDivisionError, "Weights sum to zero"),
    (lambda x: dnp.partition(x, 7), ValueError, "out of bounds"),
])
def test_bad_input_raises_as_numpy(fn, error, match):
    with pytest.raises(error, match=match):
        _traced(fn)
    with pytest.raises(error):    # NumPy's own error, for the same call untraced
        fn(X)


def test_what_traced_values_do_not_support_is_named():
    with pytest.raises(NotImplementedError, match="weibull"):
        _traced(lambda x: dnp.quantile(x, 0.5, method="weibull"))
    with pytest.raises(TypeError, match="out="):
        _traced(lambda x: dnp.cumsum(x, out=np.empty(12)))
    with pytest.raises(NotImplementedError, match="where= and initial="):
        _traced(lambda x: dnp.nansum(x, initial=1.0))


def test_var_with_mean_and_where_against_jax():
    mask = np.array([True, False, True, True])
    for kw in (dict(axis=1, mean=np.mean(X, axis=1, keepdims=True)),
               dict(axis=1, where=mask, ddof=1), dict(axis=0, correction=1, keepdims=True)):
        f = lambda m, x: m.std(x, **kw) + m.var(x, **kw)   # noqa: E731
        np.testing.assert_allclose(f(dnp, X), f(np, X))
        np.testing.assert_allclose(dualrev.jacrev(lambda x: f(dnp, x))(X),
                                   jax.jacrev(lambda x: f(jnp, x))(X), atol=1e-12)
