"""Lists and tuples holding traced values, wherever dualrev.numpy takes an array.

``dnp.array([x, 2 * x, 3.0])`` stacks its elements into one traced array, and
every dnp function given such a list (``dnp.mean([x, x + 2])``) does the same
with it.  Checked against JAX, where the list goes through ``jnp.array`` first
(JAX's functions take arrays only), in both modes and to second order.
"""
import numpy as np
import pytest

from helpers import AD, assert_tree_close, dnp, dualrev, jax, jnp, leaves, to_numpy

F32 = np.float32
_W = np.array([0.5, -1.5])
_V = np.array([1.0, -0.5, 2.0])
_COND = np.array([True, False])


def L(m, seq):
    """seq as dualrev.numpy takes it (the list itself), or as JAX needs it (jnp.array)."""
    return seq if m is dnp else jnp.array(seq)


# fn(m, x, y, v): x and y traced 0-d values, v a traced vector of shape (3,).
CASES = {
    "array_0d": lambda m, x, y, v: m.array([x, 2 * x, 3.0]),
    "array_2x2": lambda m, x, y, v: m.array([[x, y], [y, x]]),
    "array_of_vectors_and_constants": lambda m, x, y, v: m.array([v, 2 * v, np.ones(3), [x, y, 1.0]]),
    "array_tuples_and_lists": lambda m, x, y, v: m.array(([x, 1.0], (y, x * y))),
    "array_python_ints": lambda m, x, y, v: m.array([x, 2, y]),
    "array_dtype_float32": lambda m, x, y, v: m.array([x, y], dtype=F32),
    "asarray": lambda m, x, y, v: m.asarray([[x], [y]]),
    "asarray_of_vector_rows": lambda m, x, y, v: m.asarray((v, v * y)),
    "mean": lambda m, x, y, v: m.mean(L(m, [x, x + 2])),
    "sum": lambda m, x, y, v: m.sum(L(m, [x, y])),
    "sum_axis0": lambda m, x, y, v: m.sum(L(m, [[x, y], [y, 2.0]]), axis=0),
    "prod": lambda m, x, y, v: m.prod(L(m, [x, y, 2.0])),
    "max": lambda m, x, y, v: m.max(L(m, [x, y * 0.5 - 3.0])),
    "min_axis1": lambda m, x, y, v: m.min(L(m, [[x, y + 3.0], [y, 1.0]]), axis=1),
    "sin": lambda m, x, y, v: m.sin(L(m, [x, 1.0])),
    "exp_nested": lambda m, x, y, v: m.exp(L(m, [[x, 1.0], [0.5, y]])),
    "multiply_const": lambda m, x, y, v: m.multiply(L(m, [x, y]), 2.0),
    "add_traced_and_list": lambda m, x, y, v: m.add(v, L(m, [x, y, 1.0])),
    "operator_traced_times_list": lambda m, x, y, v: x * L(m, [y, 1.0]),
    "operator_list_minus_traced": lambda m, x, y, v: v - L(m, [x, y, x]),
    "divide_two_lists": lambda m, x, y, v: m.divide(L(m, [x, 1.0]), L(m, [2.0, y + 3.0])),
    "maximum": lambda m, x, y, v: m.maximum(L(m, [x, y]), 0.25),
    "remainder": lambda m, x, y, v: m.remainder(L(m, [x, 3.0]), y + 3.0),
    "dot_list_const": lambda m, x, y, v: m.dot(L(m, [x, y]), _W),
    "dot_traced_list": lambda m, x, y, v: m.dot(v, L(m, [x, y, 1.0])),
    "matmul_lists": lambda m, x, y, v: m.matmul(L(m, [[x, y]]), L(m, [[y], [x]])),
    "operator_matmul": lambda m, x, y, v: v @ L(m, [[x, 1.0], [y, x], [1.0, y]]),
    "einsum": lambda m, x, y, v: m.einsum("i,i", L(m, [x, y]), L(m, [y, 1.0])),
    "einsum_sublist": lambda m, x, y, v: m.einsum(L(m, [[x, y], [1.0, x]]), [0, 0]),
    "outer": lambda m, x, y, v: m.outer(L(m, [x, y]), v),
    "where": lambda m, x, y, v: m.where(_COND, L(m, [x, y]), 0.0),
    "where_both_branches": lambda m, x, y, v: m.where(_COND, L(m, [x, y]), L(m, [y, x])),
    "reshape": lambda m, x, y, v: m.reshape(L(m, [x, y, x * y, 1.0]), (2, 2)),
    "ravel": lambda m, x, y, v: m.ravel(L(m, [[x, y], [1.0, x]])),
    "transpose": lambda m, x, y, v: m.transpose(L(m, [[x, y, 1.0]])),
    "transpose_axes": lambda m, x, y, v: m.transpose(L(m, [[[x, y, 1.0]]]), (2, 0, 1)),
    "swapaxes": lambda m, x, y, v: m.swapaxes(L(m, [[x, y, 1.0]]), 0, 1),
    "moveaxis": lambda m, x, y, v: m.moveaxis(L(m, [[x, y, 1.0]]), 0, -1),
    "expand_dims": lambda m, x, y, v: m.expand_dims(L(m, [x, y]), 0),
    "squeeze": lambda m, x, y, v: m.squeeze(L(m, [[x, y]])),
    "broadcast_to": lambda m, x, y, v: m.broadcast_to(L(m, [x, y]), (3, 2)),
    "concatenate_list_element": lambda m, x, y, v: m.concatenate([L(m, [x, y]), v]),
    "concatenate_first_plain": lambda m, x, y, v: m.concatenate([v, L(m, [[x, y]])[0]]),
    "stack_list_elements": lambda m, x, y, v: m.stack([L(m, [x, y]), L(m, [y, 1.0])], axis=1),
    "astype": lambda m, x, y, v: m.astype(L(m, [x, y]), F32),
    # A value of the outer transformation beside values of the inner one in one list.
    "two_levels": lambda m, x, y, v: AD[m].grad(
        lambda z: m.sum(m.array([x * z, z, x]) ** 2))(y),
}


def _inputs():
    return np.float64(0.7), np.float64(-1.3), np.array([0.3, -1.1, 0.8])


def _jax_reference(fn, args, w):
    f = lambda *a: fn(jnp, *a)  # noqa: E731
    s = lambda *a: jnp.sum(jnp.sin(f(*a)) * w)  # noqa: E731
    an = (0, 1, 2)
    return jax.jit(lambda *a: dict(value=f(*a), jacfwd=jax.jacfwd(f, an)(*a),
                                   jacrev=jax.jacrev(f, an)(*a), hessian=jax.hessian(s, an)(*a),
                                   rev_over_rev=jax.jacrev(jax.grad(s, an), an)(*a)))(*args)


@pytest.mark.parametrize("name", list(CASES))
def test_list_arguments_as_jax(name):
    fn = CASES[name]
    args = _inputs()
    out = to_numpy(dualrev.jvp(lambda *a: fn(dnp, *a), args, args)[0])
    w = np.linspace(-1.0, 1.0, out.size).reshape(out.shape)
    want = _jax_reference(fn, args, w)
    f = lambda *a: fn(dnp, *a)  # noqa: E731
    s = lambda *a: dnp.sum(dnp.sin(f(*a)) * w)  # noqa: E731
    an = (0, 1, 2)
    # A float32 result: the second derivatives (float64, as JAX's) pass through float32
    # values, rounded as float32 rounds.
    tol = dict(rtol=1e-6, atol=1e-7) if out.dtype == F32 else {}
    assert_tree_close(out, want["value"], err="value")
    assert_tree_close(dualrev.jacfwd(f, an)(*args), want["jacfwd"], err="jacfwd")
    assert_tree_close(dualrev.jacrev(f, an)(*args), want["jacrev"], err="jacrev")
    assert_tree_close(dualrev.hessian(s, an)(*args), want["hessian"], err="hessian", **tol)
    assert_tree_close(dualrev.jacrev(dualrev.grad(s, an), an)(*args), want["rev_over_rev"],
                      err="rev_over_rev", **tol)


def test_untraced_lists_still_go_to_numpy():
    assert type(dnp.array([1.0, 2.0])) is np.ndarray
    assert type(dnp.sum([1.0, 2.0])) is np.float64
    assert_tree_close(dnp.sin([0.5, 1.0]), np.sin([0.5, 1.0]))
    a = np.ones(3)
    assert dnp.asarray(a) is a
    assert dnp.array(a) is not a and np.array_equal(dnp.array(a), a)
    with pytest.raises(ValueError):
        dnp.asarray([1.0, 2.0], copy=False)


# ---------------------------------------------------------------- dtypes

@pytest.mark.parametrize("build", [
    lambda m, x: m.array([x, 1.0]),        # a Python float is weak: float32
    lambda m, x: m.array([x, 2]),          # so is a Python int
    lambda m, x: m.array([[x], [x * 2.0]]),
    lambda m, x: m.array([x, np.float64(1.0)]),   # a NumPy float64 is not: float64
    lambda m, x: m.array([x, np.ones(1, F32)[0]]),
    lambda m, x: m.array([x, 1.0], dtype=np.float64),
    lambda m, x: m.mean(L(m, [x, x + 2])),
], ids=["python_float", "python_int", "nested", "numpy_float64", "numpy_float32", "dtype_arg",
        "mean"])
def test_dtypes_as_jax(build):
    """The result's dtype and the gradient's, for a float32 traced value in a list."""
    x = np.float32(0.75)
    ours = dualrev.jvp(lambda a: build(dnp, a), (x,), (np.float32(1.0),))
    theirs = jax.jvp(lambda a: build(jnp, a), (x,), (np.float32(1.0),))
    assert_tree_close(ours, theirs)
    g = dualrev.grad(lambda a: dnp.sum(build(dnp, a)))(x)
    assert_tree_close(g, jax.grad(lambda a: jnp.sum(build(jnp, a)))(x))


def test_zeros_like_and_other_nondifferentiable_functions_of_lists():
    def f(x):
        lst = [x, 2.0 * x, 1.0]
        z = dnp.zeros_like(lst)
        assert z.dtype == np.float32 and z.shape == (3,)
        assert dnp.shape([lst, lst]) == (2, 3)
        assert dnp.argmax(lst) == 1
        assert dnp.ndim(([x],)) == 2
        assert dnp.allclose(lst, [0.5, 1.0, 1.0])
        return dnp.sum(dnp.array(lst) + z)
    assert_tree_close(dualrev.grad(f)(np.float32(0.5)), np.float32(3.0))


# ---------------------------------------------------------------- asarray / array arguments

def test_asarray_returns_traced_values_as_they_are():
    def f(x):
        assert dnp.asarray(x) is x
        assert dnp.asarray(x, dtype=np.float64) is x
        assert dnp.array(x) is x
        assert dnp.asarray(x, copy=False) is x
        y = dnp.array(x, dtype=F32)
        assert y.dtype == F32
        return dnp.sum(y)
    g = dualrev.grad(f)(np.ones(2))
    assert_tree_close(g, jax.grad(lambda a: jnp.sum(jnp.array(a, dtype=F32)))(np.ones(2)))


def test_copy_false_raises_where_a_copy_is_needed():
    def cast(x):
        return dnp.asarray(x, dtype=F32, copy=False)

    def stacked(x):
        return dnp.array([x, x], copy=False)
    with pytest.raises(ValueError, match="copy=False.*float64 traced value is cast to float32"):
        dualrev.grad(lambda x: dnp.sum(cast(x)))(np.ones(2))
    with pytest.raises(ValueError, match="copy=False.*list holding traced values"):
        dualrev.grad(lambda x: dnp.sum(stacked(x)))(1.0)


def test_ragged_list_holding_traced_values():
    with pytest.raises(ValueError, match="must all have one shape.*\\(\\), \\(2,\\)"):
        dualrev.grad(lambda x: dnp.sum(dnp.array([x, np.ones(2)])))(1.0)
    with pytest.raises(ValueError):           # as NumPy
        np.array([1.0, np.ones(2)])


def test_errors_of_lists_without_traced_values_are_numpy_s():
    """A list NumPy rejects for another reason keeps NumPy's error."""
    def f(x):
        return dnp.sum(dnp.array(["a", [1.0]]))
    with pytest.raises(ValueError, match="inhomogeneous"):
        dualrev.grad(lambda x: f(x) * x)(1.0)
    with pytest.raises(TypeError):
        dualrev.grad(lambda x: dnp.sin(["a"]) * x)(1.0)


# ---------------------------------------------------------------- NumPy itself

def test_numpy_function_on_a_list_of_traced_values_raises():
    """np.mean([x, x + 2]): NumPy converts the list itself (no dualrev code runs but the
    traced value's __array__), so this cannot differentiate; the TypeError names
    dualrev.numpy (JAX raises a TypeError there too)."""
    with pytest.raises(TypeError, match=r"np.mean given it or a list holding it.*dnp.mean\(\[...\]\)"):
        dualrev.grad(lambda x: np.mean([x, x + 2]))(1.0)
    with pytest.raises(TypeError):
        jax.grad(lambda x: np.mean([x, x + 2]))(1.0)


# ---------------------------------------------------------------- Tensors

def test_tensors_that_require_grad_in_a_list():
    a = dualrev.tensor(2.0, requires_grad=True)
    b = dualrev.tensor(3.0, requires_grad=True)
    out = dnp.sum(dnp.array([a * b, a, 1.0]) ** 2)
    out.backward()
    assert_tree_close([a.grad.numpy(), b.grad.numpy()],
                      [np.float32(2 * 6.0 * 3.0 + 2 * 2.0), np.float32(2 * 6.0 * 2.0)])
    assert all(to_numpy(v).dtype == F32 for v in leaves([a.grad.numpy(), b.grad.numpy()]))
