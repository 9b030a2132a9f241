"""The rearranging, splitting and joining functions of dualrev/numpy/_arrange.py beyond
the table: bad input as NumPy raises it, untraced results, NumPy's functions and the
ndarray methods on traced values."""
import numpy as np
import pytest

import dualrev
import dualrev.numpy as dnp
from helpers import jax, jnp

X = np.linspace(0.1, 1.2, 12).reshape(3, 4)


def _traced(fn):
    return dualrev.jvp(fn, (X,), (X,))


@pytest.mark.parametrize("fn, error, match", [
    (lambda x: dnp.pad(x, 1, mode="nope"), ValueError, "mode 'nope' is not supported"),
    (lambda x: dnp.pad(x, 1, mode="edge", constant_values=1), ValueError,
     "unsupported keyword arguments"),
    (lambda x: dnp.pad(x, -1), ValueError, "negative"),
    (lambda x: dnp.pad(x[:0], 1, mode="reflect"), ValueError, "can't extend empty axis"),
    (lambda x: dnp.split(x, 3, axis=1), ValueError, "equal division"),
    (lambda x: dnp.repeat(x, -1), ValueError, "negative"),
    (lambda x: dnp.repeat(x, [1, 2], axis=0), ValueError, "broadcast"),
    (lambda x: dnp.roll(x, 1, axis=3), np.exceptions.AxisError, "axis 3"),
    (lambda x: dnp.rot90(x, axes=(0, 0)), ValueError, "Axes must be different"),
    (lambda x: dnp.tile(x, -1), ValueError, "non-negative"),
    (lambda x: dnp.insert(x, 9, 1.0, axis=1), IndexError, "out of bounds"),
    (lambda x: dnp.delete(x, 9, axis=1), IndexError, "out of bounds"),
    (lambda x: dnp.vstack([x, x[:, :2]]), ValueError, "concatenation axis"),
    (lambda x: dnp.block([[x], x]), ValueError, "depths are mismatched"),
    (lambda x: dnp.unstack(x[0, 0]), ValueError, "at least 1-d"),
    (lambda x: dnp.resize(x, (-1, 2)), ValueError, "non-negative"),
], ids=["pad_mode", "pad_keyword", "pad_negative", "pad_empty_axis", "split_unequal",
        "repeat_negative", "repeat_counts", "roll_axis", "rot90_axes", "tile_negative",
        "insert_index", "delete_index", "vstack_shapes", "block_depths", "unstack_0d",
        "resize_negative"])
def test_bad_input_raises_as_numpy(fn, error, match):
    with pytest.raises(error, match=match):
        _traced(fn)
    with pytest.raises(error):      # NumPy's own error, for the same call untraced
        fn(X)


@pytest.mark.parametrize("name, args, kwargs", [
    ("flip", (), dict(axis=1)), ("roll", (5,), {}), ("rot90", (3,), {}), ("tile", ((2, 1),), {}),
    ("repeat", ([1, 0, 2],), dict(axis=0)), ("pad", (((1, 2), (0, 1)),), dict(mode="symmetric")),
    ("resize", ((5, 3),), {}), ("append", (np.ones((1, 4)),), dict(axis=0)),
    ("insert", ([1, 3], 9.0), dict(axis=1)), ("delete", ([0, 2],), {}),
    ("atleast_3d", (), {}), ("rollaxis", (1,), {}), ("column_stack", (), {}),
])
def test_untraced_calls_give_numpys_results(name, args, kwargs):
    want = getattr(np, name)(X if name != "column_stack" else [X, X], *args, **kwargs)
    got = getattr(dnp, name)(X if name != "column_stack" else [X, X], *args, **kwargs)
    assert type(got) is type(want) and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_splits_return_lists_of_traced_pieces_equal_to_numpys():
    def f(m, x):
        parts = m.array_split(x, 3, axis=1) + m.hsplit(x, [1, 3]) + m.vsplit(x, 3)
        return m.concatenate([m.ravel(p) * (k + 1) for k, p in enumerate(parts)])
    np.testing.assert_array_equal(f(dnp, X), f(np, X))
    np.testing.assert_allclose(dualrev.jacrev(lambda x: f(dnp, x))(X),
                               jax.jacrev(lambda x: f(jnp, x))(X), rtol=1e-14)


def test_numpy_functions_and_methods_on_traced_values_reach_dualrev():
    def f(m, x):
        y = m.vstack([m.flip(x, 0), m.roll(x, 1, axis=1)])
        y = m.pad(y, 1, mode="reflect") + 0.5
        return m.sum(m.tile(y, 2) ** 2) + m.sum(x.flatten() * x.repeat(1)) + m.sum(
            m.meshgrid(x[0], x[1])[0] * x.copy()[2])
    g = dualrev.grad(lambda x: f(np, x))(X)
    np.testing.assert_allclose(g, jax.grad(lambda x: f(jnp, x))(X), rtol=1e-13)


def test_repeat_gradient_is_a_segment_sum():
    reps = np.array([2, 0, 3])
    g = dualrev.grad(lambda v: dnp.sum(dnp.repeat(v, reps) * np.arange(5.0)))(X[0, :3])
    np.testing.assert_array_equal(g, [0 + 1, 0, 2 + 3 + 4])


def test_array_api_aliases_are_the_same_functions():
    assert dnp.concat is dnp.concatenate and dnp.pow is dnp.power
    assert dnp.permute_dims(X, (1, 0)).shape == (4, 3)


def test_trim_zeros_refuses_vmap_and_apply_along_axis_empty_iteration_raises():
    with pytest.raises(ValueError, match="under vmap"):
        dualrev.vmap(dnp.trim_zeros)(np.array([[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="iteration dimensions are 0"):
        _traced(lambda x: dnp.apply_along_axis(dnp.sum, 1, x[:0]))
    with pytest.raises(ValueError, match="correct shape"):
        _traced(lambda x: dnp.apply_over_axes(lambda a, ax: dnp.sum(a), x, [0]))


def test_ndarray_methods_of_traced_values_match_jax():
    x0 = np.array([[3.0, 1.0, 2.0], [0.5, 4.0, 1.5]])

    def f(x):
        m = jnp if isinstance(x, jax.Array) else dnp
        return (x.flatten().sum() + x.std() + x.var(axis=0).sum() + x.cumsum().sum()
                + x.clip(1, 3).sum() + x.round(1).sum() + x.conj().sum() + x.real.sum()
                + x.imag.sum() + x.cumprod(axis=1).sum() + x.trace() + x.repeat(2).sum()
                + x.copy().sum() + x.max() + x.min(axis=1).sum() + x.mean() + x.prod()
                + (x.sort() * np.arange(3.0)).sum() + x.diagonal().sum()
                + x.take(np.array([0, 4])).sum() + x.swapaxes(0, 1)[0].sum()
                + x[0, x.argmax(axis=1)].sum() + x.ravel()[x.argsort(axis=None)[-1]]
                + x.ravel()[x.argmin()] * x.all() * x.any()
                + (m.partition(x, 1, axis=1)[:, 1] * np.array([2.0, 3.0])).sum())
    np.testing.assert_allclose(dualrev.grad(f)(x0), jax.grad(f)(jnp.asarray(x0)), rtol=1e-13)
    assert x0.sort() is None      # NumPy's sorts in place; a traced value's returns the result
    np.testing.assert_array_equal(dualrev.jvp(lambda x: x.partition(1), (x0,), (x0,))[0],
                                  np.partition(x0, 1))


@pytest.mark.parametrize("name, args", [
    ("searchsorted", (np.array([0.5, 2.5]),)), ("argwhere", ()), ("flatnonzero", ()),
    ("count_nonzero", ()), ("digitize", (np.array([0.0, 1.0, 2.0]),)), ("isin", ([1.0],)),
    ("iscomplex", ()), ("isreal", ()), ("lexsort", ()),
])
def test_integer_and_boolean_results_accept_traced_values(name, args):
    x = np.array([0.0, 1.0, 3.0, 0.0])
    out = dualrev.jvp(lambda v: getattr(dnp, name)(v, *args) if name != "lexsort" else
                      dnp.lexsort((v, -v)), (x,), (x,))[0]
    want = getattr(np, name)(x, *args) if name != "lexsort" else np.lexsort((x, -x))
    np.testing.assert_array_equal(out, want)
