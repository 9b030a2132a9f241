"""has_aux on hessian and linearize, allow_int and float0: as JAX."""
import numpy as np
import pytest

from helpers import assert_tree_close, dnp, dualrev, jax, jnp, to_numpy


def f_aux(m, x):
    return m.sum(m.sin(x) * x ** 2), {"norm": m.sum(x * x), "first": x[0]}


def test_hessian_has_aux():
    x = np.array([0.3, -1.1, 2.0])
    h, aux = dualrev.hessian(lambda x: f_aux(dnp, x), has_aux=True)(x)
    jh, jaux = jax.hessian(lambda x: f_aux(jnp, x), has_aux=True)(x)
    assert_tree_close(h, np.asarray(jh))
    assert set(aux) == {"norm", "first"}
    assert_tree_close([aux["norm"], aux["first"]], [np.asarray(jaux["norm"]), np.asarray(jaux["first"])])
    assert not isinstance(aux["norm"], dualrev.Tracer)


def test_hessian_has_aux_argnums_tuple():
    f = lambda m: (lambda x, y: (m.sum(x * y ** 2), y * 2))
    x, y = np.array([1.0, 2.0]), np.array([0.5, -1.0])
    h, aux = dualrev.hessian(f(dnp), argnums=(0, 1), has_aux=True)(x, y)
    jh, jaux = jax.hessian(f(jnp), argnums=(0, 1), has_aux=True)(x, y)
    assert_tree_close(h, jax.tree_util.tree_map(np.asarray, jh))
    assert_tree_close(aux, np.asarray(jaux))


def test_linearize_has_aux():
    x = np.array([0.3, -1.1, 2.0])
    out, lin, aux = dualrev.linearize(lambda x: f_aux(dnp, x), x, has_aux=True)
    jout, jlin, jaux = jax.linearize(lambda x: f_aux(jnp, x), x, has_aux=True)
    v = np.array([1.0, -0.5, 0.25])
    assert_tree_close([out, lin(v), aux["norm"]], [np.asarray(jout), np.asarray(jlin(v)),
                                                    np.asarray(jaux["norm"])])


def test_has_aux_needs_a_pair():
    with pytest.raises(TypeError, match="has_aux=True requires the function to return a pair"):
        dualrev.hessian(lambda x: dnp.sum(x), has_aux=True)(np.ones(2))
    with pytest.raises(TypeError, match="has_aux=True requires the function to return a pair"):
        dualrev.linearize(lambda x: x, 1.0, has_aux=True)


def test_float0_is_jaxs():
    assert dualrev.float0 == jax.dtypes.float0
    assert dualrev.float0.itemsize == 0


@pytest.mark.parametrize("n", [3, np.int32(3), np.arange(3), np.array([True, False]), True])
def test_grad_allow_int(n):
    f = lambda m: (lambda x, n: m.sum(x * m.sum(n)))
    x = 1.5
    gx, gn = dualrev.grad(f(dnp), argnums=(0, 1), allow_int=True)(x, n)
    jgx, jgn = jax.grad(f(jnp), argnums=(0, 1), allow_int=True)(x, n)
    assert_tree_close(gx, np.asarray(jgx))
    gn = np.asarray(gn)
    assert gn.dtype == dualrev.float0 and gn.shape == np.shape(n) == np.shape(jgn)


def test_value_and_grad_allow_int_single_argument():
    v, g = dualrev.value_and_grad(lambda n: dnp.sum(n * 2.0), allow_int=True)(np.arange(3))
    assert_tree_close(v, np.float64(6.0))
    assert g.dtype == dualrev.float0 and g.shape == (3,)
    # a tree of arguments mixing floats and ints
    g = dualrev.grad(lambda p: dnp.sum(p["w"] * p["k"]), allow_int=True)(
        {"w": np.ones(2), "k": np.array([2, 3])})
    np.testing.assert_array_equal(g["w"], [2.0, 3.0])
    assert g["k"].dtype == dualrev.float0


def test_jacrev_allow_int_gives_zero_blocks_as_jax():
    f = lambda x, n: x * n
    x, n = np.array([1.0, 2.0]), np.array([3, 4])
    jx, jn = dualrev.jacrev(f, argnums=(0, 1), allow_int=True)(x, n)
    wx, wn = jax.jacrev(f, argnums=(0, 1), allow_int=True)(x, n)
    assert_tree_close(jx, np.asarray(wx))
    assert to_numpy(jn).dtype == np.asarray(wn).dtype
    np.testing.assert_array_equal(jn, np.asarray(wn))


@pytest.mark.parametrize("api", ["grad", "value_and_grad", "jacrev"])
def test_int_input_without_allow_int_points_to_it(api):
    with pytest.raises(TypeError, match="allow_int=True"):
        getattr(dualrev, api)(lambda n: dnp.sum(n * 2.0))(np.arange(3))
