"""remainder (mod, %) and fmod: values as NumPy, derivatives by JAX's conventions
(at integral quotients and at a zero divisor too), the operators and NumPy's
ufuncs on traced values, and the Tensor methods as PyTorch.

The table in test_primitives.py checks both primitives against JAX to second
order at smooth points and at integral quotients.
"""
import operator

import numpy as np
import pytest

from helpers import assert_tree_close, dnp, dualrev, jax, jnp

X = np.array([5.5, -5.5, 5.5, -5.5, 4.0, -4.0, 3.0, -3.0, 0.0, -0.0, 7.25])
Y = np.array([2.0, 2.0, -2.0, -2.0, 2.0, 2.0, -1.5, 1.5, 2.0, -2.0, 0.5])
NAMES = ["remainder", "mod", "fmod"]


@pytest.mark.parametrize("name", NAMES)
def test_values_as_numpy(name):
    fn = getattr(dnp, name)
    want = getattr(np, name)(X, Y)
    assert_tree_close(fn(X, Y), want)
    assert_tree_close(dualrev.vjp(lambda x: fn(x, Y), X)[0], want)
    assert_tree_close(dualrev.jvp(lambda y: fn(X, y), (Y,), (Y,))[0], want)
    # Untraced integers stay integers, as NumPy.
    assert fn(np.arange(-3, 4), 2).dtype == getattr(np, name)(np.arange(-3, 4), 2).dtype


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_as_jax_at_smooth_and_integral_quotients(name):
    """d/dx = 1; d/dy = -floor(x/y) for remainder, -trunc(x/y) for fmod, also where x/y
    is an integer (where the result jumps): both modes, against JAX."""
    ours, theirs = getattr(dnp, name), getattr(jnp, name)
    q = np.floor(X / Y) if name != "fmod" else np.trunc(X / Y)
    for mode in ("jacfwd", "jacrev"):
        got = getattr(dualrev, mode)(ours, (0, 1))(X, Y)
        assert_tree_close(got, getattr(jax, mode)(theirs, (0, 1))(X, Y), err=mode)
        assert_tree_close(got, (np.eye(len(X)), np.diag(-q)), err=mode)
    h = dualrev.hessian(lambda x, y: dnp.sum(ours(x, y) ** 2), (0, 1))(X, Y)
    assert_tree_close(h, jax.hessian(lambda x, y: jnp.sum(theirs(x, y) ** 2), (0, 1))(X, Y))


def test_remainder_and_fmod_differ_where_the_signs_differ():
    """With opposite signs floor and trunc differ by one: so do the derivatives in y."""
    x, y = np.array([-5.5, 5.5]), np.array([2.0, -2.0])
    g_rem = dualrev.grad(lambda b: dnp.sum(dnp.remainder(x, b)))(y)
    g_fmod = dualrev.grad(lambda b: dnp.sum(dnp.fmod(x, b)))(y)
    assert_tree_close(g_rem, np.array([3.0, 3.0]))
    assert_tree_close(g_fmod, np.array([2.0, 2.0]))


@pytest.mark.parametrize("name", ["remainder", "fmod"])
def test_zero_divisor_like_modes_as_jax(name):
    """At y = 0 the value is nan and d/dy is -inf, nan or inf (x/y is ±inf or nan), as
    JAX; forward mode's x-column meets 0 * inf = nan there (the y tangent is an exact
    zero times -q), so each mode is compared with JAX's same mode."""
    ours, theirs = getattr(dnp, name), getattr(jnp, name)
    x, y = np.array([1.0, 0.0, -2.0]), np.zeros(3)
    with np.errstate(all="ignore"):
        for mode in ("jacfwd", "jacrev"):
            got = getattr(dualrev, mode)(ours, (0, 1))(x, y)
            assert_tree_close(got, getattr(jax, mode)(theirs, (0, 1))(x, y), err=mode)
        g = dualrev.grad(lambda a, b: dnp.sum(ours(a, b)), (0, 1))(x, y)
    assert_tree_close(g, (np.ones(3), np.array([-np.inf, np.nan, np.inf])))


def _np(m):
    """NumPy itself on dualrev's traced values (JAX's are not accepted by NumPy)."""
    return np if m is dnp else jnp


OPERATOR_CASES = {
    "traced_mod_traced": lambda m, x, y: x % y,
    "traced_mod_float": lambda m, x, y: x % 1.25,
    "float_mod_traced": lambda m, x, y: 7.5 % y,
    "int_mod_traced": lambda m, x, y: 7 % y,
    "array_mod_traced": lambda m, x, y: np.array([3.0, -3.0, 7.0]) % y,
    "traced_mod_array": lambda m, x, y: x % np.array([1.5, -1.5, 2.0]),
    "numpy_ufunc_remainder": lambda m, x, y: _np(m).remainder(x, y),
    "numpy_ufunc_mod": lambda m, x, y: _np(m).mod(y, x),
    "numpy_ufunc_fmod": lambda m, x, y: _np(m).fmod(x, y),
    "operator_mod": lambda m, x, y: operator.mod(x, y),
}


@pytest.mark.parametrize("name", list(OPERATOR_CASES))
def test_operators_and_numpy_ufuncs_on_traced_values(name):
    """``%`` both ways round (with Python numbers and NumPy arrays) and np.remainder /
    np.mod / np.fmod on traced values differentiate as dnp's functions, against JAX."""
    f = OPERATOR_CASES[name]
    x, y = np.array([5.5, -2.25, 3.0]), np.array([2.0, 1.5, -1.25])
    for mode in ("jacfwd", "jacrev"):
        got = getattr(dualrev, mode)(lambda a, b: f(dnp, a, b), (0, 1))(x, y)
        want = getattr(jax, mode)(lambda a, b: f(jnp, a, b), (0, 1))(x, y)
        assert_tree_close(got, want, err=mode)


def test_float32_stays_float32_with_python_numbers():
    x = np.array([5.5, -2.25], dtype=np.float32)
    out, g = dualrev.value_and_grad(lambda a: dnp.sum(a % 2.0 + dnp.fmod(3, a)))(x)
    assert out.dtype == g.dtype == np.float32
    assert_tree_close(g, jax.grad(lambda a: jnp.sum(a % 2.0 + jnp.fmod(3, a)))(x))


# ---------------------------------------------------------------- Tensors, as PyTorch

def test_tensor_operators_and_methods():
    """t % u, 7 % t, t.remainder(u), t.fmod(u): values as torch (NumPy's semantics),
    gradients 1 for the dividend and -floor / -trunc(x / y) for the divisor."""
    x, y = np.array([5.5, -5.5, 4.0], np.float32), np.array([2.0, 2.0, -1.5], np.float32)
    for op, np_fn, q in [(lambda a, b: a % b, np.remainder, np.floor),
                         (lambda a, b: a.remainder(b), np.remainder, np.floor),
                         (lambda a, b: a.fmod(b), np.fmod, np.trunc)]:
        a = dualrev.tensor(x, requires_grad=True)
        b = dualrev.tensor(y, requires_grad=True)
        out = op(a, b)
        assert_tree_close(out.detach().numpy(), np_fn(x, y).astype(np.float32))
        out.sum().backward()
        assert_tree_close(a.grad.numpy(), np.ones(3, np.float32))
        assert_tree_close(b.grad.numpy(), -q(x / y).astype(np.float32))
    b = dualrev.tensor(y, requires_grad=True)
    r = 7 % b
    assert_tree_close(r.detach().numpy(), np.remainder(7, y).astype(np.float32))
    r.sum().backward()
    assert_tree_close(b.grad.numpy(), -np.floor(7 / y).astype(np.float32))


def test_tensor_in_place():
    t = dualrev.tensor([5.5, -5.5])
    before = t._version
    t %= 2
    assert_tree_close(t.numpy(), np.array([1.5, 0.5], np.float32))
    assert t._version == before + 1
    u = dualrev.tensor([5.5, -5.5])
    assert u.fmod_(2) is u
    assert_tree_close(u.numpy(), np.array([1.5, -1.5], np.float32))
    v = dualrev.tensor([5.5, -5.5], requires_grad=True)
    w = v * 1.0
    w.remainder_(2.0)
    w.sum().backward()
    assert_tree_close(v.grad.numpy(), np.ones(2, np.float32))
