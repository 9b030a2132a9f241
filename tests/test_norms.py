"""numpy.linalg's norms, powers, products, tensor solves and aliases
(dualrev/numpy/_norms.py) beyond the table: bad input raises as NumPy's does, traced
and untraced; the 2-norm's derivative at the zero vector; untraced results are NumPy's;
NumPy's names resolve to these functions."""
import numpy as np
import pytest

import dualrev
import dualrev.numpy as dnp
from helpers import jax, jnp

LinAlgError = np.linalg.LinAlgError
X = np.array([[2.0, 0.3, -0.1], [0.2, -1.5, 0.4], [0.1, 0.5, 1.2]])


def _traced(fn, x=X):
    return dualrev.jvp(fn, (x,), (x,))


BAD = [
    (lambda x: dnp.linalg.norm(x[0], "fro"), ValueError, "Invalid norm order"),
    (lambda x: dnp.linalg.norm(x, "bad"), ValueError, "Invalid norm order"),
    (lambda x: dnp.linalg.norm(x, 3), ValueError, "Invalid norm order"),
    (lambda x: dnp.linalg.norm(x[None], 2), ValueError, "Improper number of dimensions"),
    (lambda x: dnp.linalg.norm(x, axis=(0, 0)), ValueError, "Duplicate axes"),
    (lambda x: dnp.linalg.norm(x, axis=(0, 1, 1)), ValueError, "Improper number"),
    (lambda x: dnp.linalg.norm(x, axis=2), ValueError, "out of bounds"),
    (lambda x: dnp.linalg.vector_norm(x, ord="fro"), ValueError, "Invalid norm order"),
    (lambda x: dnp.linalg.matrix_norm(x, ord=3), ValueError, "Invalid norm order"),
    (lambda x: dnp.linalg.matrix_power(x[:2], 2), LinAlgError, "must be square"),
    (lambda x: dnp.linalg.matrix_power(x[0], 2), LinAlgError, "at least two"),
    (lambda x: dnp.linalg.matrix_power(x, 2.0), TypeError, "exponent must be an integer"),
    (lambda x: dnp.linalg.multi_dot([x]), ValueError, "at least two arrays"),
    (lambda x: dnp.linalg.multi_dot([x, x[None], x]), LinAlgError, "two-dimensional"),
    (lambda x: dnp.linalg.cond(x[0]), LinAlgError, "at least two"),
    (lambda x: dnp.linalg.cond(x[:2], 1), LinAlgError, "must be square"),
    (lambda x: dnp.linalg.tensorinv(x, ind=0), ValueError, "Invalid ind"),
    (lambda x: dnp.linalg.tensorinv(x[:2], ind=1), LinAlgError, ""),
    (lambda x: dnp.linalg.tensorsolve(x[:2], x[:2, 0]), LinAlgError, ""),
    (lambda x: dnp.linalg.tensorsolve(x, x[:2, 0]), ValueError, ""),
    (lambda x: dnp.linalg.cross(x[:2], x[:2], axis=0), ValueError, "3"),
    (lambda x: dnp.linalg.outer(x, x), ValueError, "one-dimensional"),
    (lambda x: dnp.linalg.trace(x[0]), ValueError, "2"),
    (lambda x: dnp.linalg.diagonal(x[0]), ValueError, "2"),
    (lambda x: dnp.linalg.matrix_transpose(x[0]), ValueError, "2"),
]


@pytest.mark.parametrize("fn, error, match", BAD)
def test_bad_input_raises_as_numpy(fn, error, match):
    with pytest.raises(error):
        fn(X)
    with pytest.raises(error, match=match):
        _traced(fn)


def test_zero_vector_2norm_derivative_is_nan_as_jax():
    z = np.zeros(3)
    ours = dualrev.grad(dnp.linalg.norm)(z)
    theirs = np.asarray(jax.grad(jnp.linalg.norm)(jnp.zeros(3)))
    assert np.isnan(theirs).all() and np.isnan(ours).all()
    w = np.array([1.0, -2.0, 2.0])
    assert np.allclose(dualrev.grad(lambda x: dnp.linalg.norm(x, 1))(w), np.sign(w))


def test_untraced_calls_give_numpy_results():
    assert np.array_equal(dnp.linalg.norm(X, "nuc"), np.linalg.norm(X, "nuc"))
    assert np.array_equal(dnp.linalg.matrix_power(X, -2), np.linalg.matrix_power(X, -2))
    assert np.array_equal(dnp.linalg.multi_dot([X, X, X[0]]), np.linalg.multi_dot([X, X, X[0]]))
    assert np.array_equal(dnp.linalg.cond(X, "fro"), np.linalg.cond(X, "fro"))
    assert np.array_equal(dnp.linalg.trace(X[None], offset=1), np.linalg.trace(X[None], offset=1))


def test_traced_values_match_numpy():
    checks = [
        (lambda x: dnp.linalg.norm(x, -2), lambda x: np.linalg.norm(x, -2)),
        (lambda x: dnp.linalg.matrix_power(x, 0), lambda x: np.linalg.matrix_power(x, 0)),
        (lambda x: dnp.linalg.matrix_power(x, -4), lambda x: np.linalg.matrix_power(x, -4)),
        (lambda x: dnp.linalg.multi_dot([x[0], x, x[:, :2], x[:2]]),
         lambda x: np.linalg.multi_dot([x[0], x, x[:, :2], x[:2]])),
        (lambda x: dnp.linalg.multi_dot([x, x[:, 0]]), lambda x: np.linalg.multi_dot([x, x[:, 0]])),
        (lambda x: dnp.linalg.cond(x, np.inf), lambda x: np.linalg.cond(x, np.inf)),
        (lambda x: dnp.linalg.vector_norm(x, ord=0), lambda x: np.linalg.vector_norm(x, ord=0)),
        (lambda x: dnp.linalg.norm(x, None, None, True), lambda x: np.linalg.norm(x, None, None,
                                                                                True)),
    ]
    for ours, theirs in checks:
        out, _ = _traced(ours)
        assert np.allclose(out, theirs(X)), ours


def test_matrix_power_zero_has_zero_derivative():
    out, tangent = _traced(lambda x: dnp.linalg.matrix_power(x, 0), X[None])
    assert np.array_equal(out, np.eye(3)[None]) and np.array_equal(tangent, np.zeros((1, 3, 3)))


def test_numpy_names_resolve_here():
    for name in ["norm", "vector_norm", "matrix_norm", "matrix_power", "multi_dot", "cond",
                 "tensorinv", "tensorsolve", "cross", "outer", "trace", "diagonal", "matmul",
                 "vecdot", "matrix_transpose", "tensordot"]:
        assert hasattr(np.linalg, name)
        fn = getattr(dnp.linalg, name)
        assert fn.composite.name == f"linalg.{name}"
        assert dualrev.registry[f"linalg.{name}"] is fn.composite
