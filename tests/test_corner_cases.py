"""Corner cases that used to come out silently wrong, checked against JAX (x64),
finite differences or the exact value.

1. prod's derivative with zeros, inf, nan and a product that under- or
   overflows part way, to the third order, in O(n) memory.
2. full and full_like, differentiable in the fill value.
3. Out-of-range axes raise NumPy's AxisError naming the function and the
   axis, traced or not; 0-d arrays cannot be concatenated.
4. Three-argument pow raises instead of ignoring the modulus.
5. A primitive declared without a rule says which rule is missing when a
   transformation needs it.
6. Integer powers at x = 0: every derivative finite and exact.
"""
import math
import tracemalloc
import warnings

import numpy as np
import pytest

import dualrev
from dualrev.core import Primitive, bind
from helpers import AD, assert_tree_close, dnp, jax, jnp, numerical_jacobian

AxisError = np.exceptions.AxisError
inf, nan = np.inf, np.nan


@pytest.fixture(autouse=True)
def _quiet():
    """inf and nan are the point here: NumPy's warnings about them are expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _both(build, fn, *args, **kwargs):
    """build(ad, f) applied to fn written for dnp and for jnp, at args: (ours, JAX's)."""
    ours = build(dualrev, lambda *a: fn(dnp, *a))(*args, **kwargs)
    theirs = build(jax, lambda *a: fn(jnp, *a))(*[jnp.asarray(a) for a in args], **kwargs)
    return ours, theirs


# ============================================================================ 1. prod

_PROD_VECTORS = {
    "plain": [0.5, -1.5, 2.0, 3.0, 0.7],
    "one_zero": [0.5, 0.0, 2.0, 3.0, 0.7],
    "two_zeros": [0.5, 0.0, 2.0, 0.0, 0.7],
    "inf": [2.0, inf, 3.0],
    "nan": [2.0, nan, 3.0, 1.5],
    "partial_underflow": [1e-200, 1e-200, 1e200],
    "partial_overflow": [1e200, 1e200, 1e-200],
    "length_1": [3.0],
    "length_2_zero": [3.0, 0.0],
}

_ORDERS = {
    "grad": lambda ad, f: ad.grad(f),
    "jacfwd": lambda ad, f: ad.jacfwd(f),
    "jacrev": lambda ad, f: ad.jacrev(f),
    "hessian": lambda ad, f: ad.hessian(f),
    "jacfwd_jacrev": lambda ad, f: ad.jacfwd(ad.jacrev(f)),
    "jacrev_jacfwd": lambda ad, f: ad.jacrev(ad.jacfwd(f)),
    "third_fwd_rev_rev": lambda ad, f: ad.jacfwd(ad.jacrev(ad.grad(f))),
    "third_rev_fwd_fwd": lambda ad, f: ad.jacrev(ad.jacfwd(ad.jacfwd(f))),
}


@pytest.mark.parametrize("order", list(_ORDERS))
@pytest.mark.parametrize("case", list(_PROD_VECTORS))
def test_prod_derivatives_match_jax(case, order):
    x = np.array(_PROD_VECTORS[case])
    ours, theirs = _both(_ORDERS[order], lambda m, x: m.prod(x), x)
    assert_tree_close(ours, theirs, rtol=1e-13, atol=0, err=f"prod {case} {order}")


def test_prod_gradient_is_the_product_of_the_others():
    # Exact values (JAX agrees): under- and overflow part way, an inf beside a
    # zero (inf * 0 is nan only where both are among the others), a nan.
    cases = [([1e-200, 1e-200, 1e200], [1.0, 1.0, 0.0], True),
             ([1e200, 1e200, 1e-200], [1.0, 1.0, inf], True),
             ([0.0, 0.0, 5.0], [0.0, 0.0, 0.0], True),
             ([4.0, 0.0, 5.0], [0.0, 20.0, 0.0], True),
             # Forward mode multiplies the zero tangents of the other entries by
             # the nan or inf (as JAX does): nan there.
             ([2.0, nan, 3.0], [nan, 6.0, nan], False),
             ([2.0, inf, 0.0, 3.0], [nan, 0.0, inf, nan], False)]
    for x, expected, forward_exact in cases:
        x = np.array(x)
        for mode in ("grad", "jacrev", "jacfwd"):
            ours, theirs = _both(_ORDERS[mode], lambda m, x: m.prod(x), x)
            np.testing.assert_array_equal(ours, theirs, err_msg=f"{mode} prod at {x} vs JAX")
            if mode != "jacfwd" or forward_exact:
                np.testing.assert_array_equal(ours, expected, err_msg=f"{mode} prod at {x}")


@pytest.mark.parametrize("axis,keepdims", [(None, False), (1, False), ((0, 2), False),
                                           ((0, 2), True), (-1, True), ((2, 0, 1), False)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_prod_over_axes_matches_jax(axis, keepdims, dtype):
    x = np.array([[[0.5, 0.0, 2.0], [1.5, -1.0, 0.0]],
                  [[2.0, 1.25, -0.5], [0.0, 3.0, 0.75]]], dtype=dtype)
    fn = lambda m, x: m.prod(x, axis=axis, keepdims=keepdims)   # noqa: E731
    for order in ("jacfwd", "jacrev", "jacfwd_jacrev", "jacrev_jacfwd"):
        ours, theirs = _both(_ORDERS[order], fn, x)
        assert_tree_close(ours, theirs, rtol=1e-12, atol=1e-14, err=f"prod {axis} {order}")
    # and finite differences, away from the zeros
    y = x + np.array(3, dtype=dtype)
    jac = dualrev.jacrev(lambda y: dnp.prod(y, axis=axis, keepdims=keepdims))(y.astype(np.float64))
    num = numerical_jacobian(lambda y: np.prod(y, axis=axis, keepdims=keepdims), [y], 0)
    np.testing.assert_allclose(jac, num, rtol=1e-7)


@pytest.mark.parametrize("n", [3_000, 100_000])
def test_prod_of_a_long_axis_with_a_zero_uses_linear_memory(n):
    # x: ones, a zero at 7, a 2 and a 0.5: every product below is exact.
    x = np.ones(n)
    x[7], x[10], x[20] = 0.0, 2.0, 0.5
    f = lambda x: dnp.prod(x)   # noqa: E731
    ones = np.ones(n)
    hvp_expected = 1 / np.where(x == 0, 1.0, x)
    hvp_expected[7] = (n - 3) + 2.0 + 0.5             # sum over j != 7 of prod(x without 7, j)
    grad_expected = np.zeros(n)
    grad_expected[7] = 1.0
    for name, run, expected in [
            ("grad", lambda: dualrev.grad(f)(x), grad_expected),
            ("jvp", lambda: dualrev.jvp(f, (x,), (ones,))[1], 1.0),
            ("hvp", lambda: dualrev.jvp(dualrev.grad(f), (x,), (ones,))[1], hvp_expected)]:
        tracemalloc.start()
        try:
            got = run()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        np.testing.assert_array_equal(got, expected, err_msg=name)
        # An n x n block would be n times more; the tree needs a few copies of x.
        assert peak < 64 * n * x.itemsize, f"{name}: peak {peak} bytes for n = {n}"


# ============================================================================ 2. full, full_like

def test_full_like_is_differentiable_in_the_fill_value():
    cases = {
        "float64": lambda m, a, s: m.full_like(a, s),
        "float32_like": lambda m, a, s: m.full_like(a.astype(np.float32), s),
        "dtype_float32": lambda m, a, s: m.full_like(a, s, dtype=np.float32),
        "shape": lambda m, a, s: m.full_like(a, s, shape=(4, 2)),
        "fill_from_a": lambda m, a, s: m.full_like(a, a[0, 1] * s),
        "int_like": lambda m, a, s: m.full_like(a.astype(np.int64), s) * 1.0,
        # numpy.full_like dispatches on its first argument: traced here, always
        "numpy_full_like_on_traced": lambda m, a, s: (np if m is dnp else jnp).full_like(
            a + 0 * s, s),
    }
    a = np.array([[0.5, -2.0, 3.0], [1.0, 0.0, 4.0]])
    s = np.float64(1.75)
    for name, fn in cases.items():
        # The result does not depend on a's values: its derivative there is 0.
        for argnums in (0, 1, (0, 1)):
            for build in (lambda ad, f: ad.jacfwd(f, argnums), lambda ad, f: ad.jacrev(f, argnums)):
                ours, theirs = _both(build, fn, a, s)
                assert_tree_close(ours, theirs, err=f"full_like {name} argnums={argnums}")
        ours, theirs = _both(lambda ad, f: ad.grad(lambda a, s: (f(a, s) ** 3).sum(), 1),
                             fn, a, s)
        assert_tree_close(ours, theirs, err=f"full_like {name} grad")
        ours, theirs = _both(lambda ad, f: ad.hessian(lambda a, s: (f(a, s) ** 2).sum(), 1),
                             fn, a, s)
        assert_tree_close(ours, theirs, err=f"full_like {name} hessian")


def test_full_is_differentiable_in_the_fill_value():
    cases = {
        "scalar": lambda m, s: m.full((2, 3), s),
        "int_shape": lambda m, s: m.full(4, s),
        "dtype_float32": lambda m, s: m.full((2, 3), s, dtype=np.float32),
        "array_fill": lambda m, s: m.full((2, 3), s * np.array([1.0, 2.0, 3.0])),
        "square_fill": lambda m, s: m.full((3,), s * s),
    }
    for name, fn in cases.items():
        for order in ("jacfwd", "jacrev", "jacfwd_jacrev"):
            ours, theirs = _both(_ORDERS[order], fn, np.float64(1.5))
            assert_tree_close(ours, theirs, err=f"full {name} {order}")


def test_full_like_untraced_and_the_constant_likes():
    a = np.arange(6).reshape(2, 3)
    for got, expected in [(dnp.full_like(a, 2.5), np.full_like(a, 2.5)),
                          (dnp.full_like(a, 2.5, dtype=float), np.full_like(a, 2.5, dtype=float)),
                          (dnp.full((2,), 7), np.full((2,), 7))]:
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)

    def f(x):
        # zeros_like and ones_like stay constants: plain arrays, no derivative
        z, o = dnp.zeros_like(x), dnp.ones_like(x)
        assert type(z) is np.ndarray and type(o) is np.ndarray
        return dnp.sum(x * o + z)
    np.testing.assert_array_equal(dualrev.grad(f)(np.ones(3)), np.ones(3))


# ============================================================================ 3. axes

_AXIS_FNS = {   # name: (fn(m, x, axis), ndim the axis is checked against for a 2-d x)
    "concatenate": (lambda m, x, ax: m.concatenate([x, x], axis=ax), 2),
    "stack": (lambda m, x, ax: m.stack([x, x], axis=ax), 3),
    "transpose": (lambda m, x, ax: m.transpose(x, (0, ax)), 2),
    "swapaxes": (lambda m, x, ax: m.swapaxes(x, 0, ax), 2),
    "moveaxis": (lambda m, x, ax: m.moveaxis(x, ax, 0), 2),
    "expand_dims": (lambda m, x, ax: m.expand_dims(x, ax), 3),
    "squeeze": (lambda m, x, ax: m.squeeze(x[:1], ax), 2),
    "sum": (lambda m, x, ax: m.sum(x, axis=ax), 2),
    "mean": (lambda m, x, ax: m.mean(x, axis=ax), 2),
    "prod": (lambda m, x, ax: m.prod(x, axis=ax), 2),
    "max": (lambda m, x, ax: m.max(x, axis=ax), 2),
    "min": (lambda m, x, ax: m.min(x, axis=ax), 2),
}


@pytest.mark.parametrize("how", ["untraced", "jacfwd", "grad"])
@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("name", list(_AXIS_FNS))
def test_out_of_range_axis_raises_axis_error(name, sign, how):
    fn, nd = _AXIS_FNS[name]
    x = np.arange(1.0, 7.0).reshape(2, 3)
    for ax in ([nd, nd + 3] if sign > 0 else [-nd - 1, -nd - 4]):
        with pytest.raises(AxisError):
            fn(np, x, ax)          # NumPy's own behaviour, for reference
        call = {"untraced": lambda: fn(dnp, x, ax),
                "jacfwd": lambda: dualrev.jacfwd(lambda x: fn(dnp, x, ax))(x),
                "grad": lambda: dualrev.grad(lambda x: dnp.sum(fn(dnp, x, ax)))(x)}[how]
        with pytest.raises(AxisError, match=f"^{name}[ :].*axis {ax} is out of bounds for "
                                            f"array of dimension {nd}$"):
            call()


@pytest.mark.parametrize("how", ["untraced", "grad"])
@pytest.mark.parametrize("name", list(_AXIS_FNS))
def test_non_integer_axis_raises_type_error_naming_it(name, how):
    """NumPy raises TypeError for a float axis; so does the one axis check, naming the
    function and the axis (a list-argument retry must not turn it into another error)."""
    fn, _ = _AXIS_FNS[name]
    x = np.arange(1.0, 7.0).reshape(2, 3)
    with pytest.raises(TypeError):
        fn(np, x, 1.0)
    call = {"untraced": lambda: fn(dnp, x, 1.0),
            "grad": lambda: dualrev.grad(lambda x: dnp.sum(fn(dnp, x, 1.0)))(x)}[how]
    with pytest.raises(TypeError, match=f"^{name}( source)?: an axis must be an integer, "
                                        f"got 1.0 \\(float\\)$"):
        call()


def test_axis_given_as_integer_arrays_as_numpy():
    x = np.arange(6.0).reshape(2, 3)
    assert dnp.sum(x, axis=np.array(1)).shape == np.sum(x, axis=np.array(1)).shape == (2,)
    g = dualrev.grad(lambda x: dnp.sum(dnp.transpose(x, np.array([1, 0]))[0] * 2.0))(x)
    np.testing.assert_array_equal(g, [[2.0, 0, 0], [2.0, 0, 0]])


def test_tensor_out_of_range_dims_raise_axis_error():
    t = dualrev.tensor([[1.0, 5.0], [3.0, 2.0]], requires_grad=True)
    for what, call in [("flatten", lambda d: t.flatten(0, d)),
                       ("flatten", lambda d: t.flatten(d)),
                       ("squeeze", lambda d: t.squeeze(d)),
                       ("max", lambda d: t.max(d)),
                       ("min", lambda d: t.min(d)),
                       ("argmax", lambda d: t.argmax(d)),
                       ("size", lambda d: t.size(d)),
                       ("sum", lambda d: t.sum(d)),
                       ("swapaxes", lambda d: t.transpose(0, d))]:
        for d in (2, 5, -3):
            with pytest.raises(AxisError, match=f"^{what}: axis {d} is out of bounds"):
                call(d)
    for d in (3, -4):
        with pytest.raises(AxisError, match=f"^unsqueeze: axis {d} is out of bounds"):
            t.unsqueeze(d)
    assert t.unsqueeze(2).shape == (2, 2, 1) and t.unsqueeze(-3).shape == (1, 2, 2)
    with pytest.raises(RuntimeError, match="start_dim cannot come after end_dim"):
        t.flatten(1, 0)


def test_concatenate_of_zero_dimensional_arrays_raises_as_numpy():
    with pytest.raises(ValueError, match="zero-dimensional arrays cannot be concatenated"):
        np.concatenate([np.float64(1.0), np.float64(2.0)])
    for call in [lambda: dnp.concatenate([np.float64(1.0), np.float64(2.0)]),
                 lambda: dualrev.grad(lambda x: dnp.sum(dnp.concatenate([x, x])))(2.0),
                 lambda: dualrev.jacfwd(lambda x: dnp.concatenate([x, 1.0], axis=0))(2.0)]:
        with pytest.raises(ValueError, match="^concatenate: zero-dimensional arrays cannot be "
                                             "concatenated$"):
            call()
    # axis=None flattens first, as NumPy
    ours, theirs = _both(lambda ad, f: ad.jacrev(f), lambda m, x: m.concatenate([x, x], axis=None),
                         np.float64(2.0))
    assert_tree_close(ours, theirs)


# ============================================================================ 4. pow(x, y, mod)

def test_pow_with_a_modulus_raises():
    def with_mod(x):
        return pow(x, 2, 3)

    def reflected_with_mod(x):
        return x.__rpow__(2.0, 3)
    for f in (with_mod, reflected_with_mod):
        for call in (lambda: dualrev.grad(f)(2.0), lambda: dualrev.jvp(f, (2.0,), (1.0,))):
            with pytest.raises(TypeError, match=r"pow\(\) with a modulus .*not differentiable"):
                call()
    t = dualrev.tensor(2.0, requires_grad=True)
    with pytest.raises(TypeError, match=r"pow\(\) with a modulus"):
        pow(t, 2, 3)
    # without a modulus both still work
    assert dualrev.grad(lambda x: pow(x, 3) + x.__rpow__(2.0))(2.0) == 12.0 + 4.0 * math.log(2.0)


# ============================================================================ 5. missing rules

def _my_mul():
    return Primitive("my_mul", lambda x, y: x * y,
                     jvp=(lambda x_dot, ans, x, y: x_dot * y, None), vjp=None, register=False)


def _my_sum():
    return Primitive("my_sum", lambda *xs: sum(xs),
                     jvp=lambda i: (lambda t, ans, *xs: t),
                     vjp=lambda i: (lambda g, ans, *xs: g) if i == 0 else None, register=False)


def test_a_missing_rule_is_named_when_a_transformation_needs_it():
    mul, add3 = _my_mul(), _my_sum()
    # The rules that exist still work.
    assert dualrev.jvp(lambda x: bind(mul, (x, 3.0)), (2.0,), (1.0,)) == (6.0, 3.0)
    assert dualrev.grad(lambda x: bind(add3, (x, 1.0, 2.0)))(5.0) == 1.0
    cases = [
        (lambda: dualrev.jvp(lambda y: bind(mul, (2.0, y)), (3.0,), (1.0,)), "my_mul", "JVP", 1),
        (lambda: dualrev.jacfwd(lambda y: bind(mul, (y, y)))(3.0), "my_mul", "JVP", 1),
        (lambda: dualrev.grad(lambda x: bind(mul, (x, 3.0)))(2.0), "my_mul", "VJP", 0),
        (lambda: dualrev.grad(lambda y: bind(mul, (2.0, y)))(3.0), "my_mul", "VJP", 1),
        (lambda: dualrev.grad(lambda y: bind(add3, (1.0, 2.0, y)))(3.0), "my_sum", "VJP", 2),
        (lambda: dualrev.jacrev(lambda y: bind(add3, (y, y)))(3.0), "my_sum", "VJP", 1),
    ]
    for call, prim, kind, argnum in cases:
        with pytest.raises(NotImplementedError,
                           match=f"primitive '{prim}' has no {kind} rule for argument {argnum}"):
            call()
    t = dualrev.tensor(2.0, requires_grad=True)
    out = bind(mul, (t, 3.0))
    with pytest.raises(NotImplementedError, match="'my_mul' has no VJP rule for argument 0"):
        out.backward()


# ============================================================================ 6. powers at 0

# d^order/dx^order of x**k at x = 0: k! where order == k, else 0.
def _exact(k, order):
    return float(math.factorial(k)) if order == k else 0.0


_DERIVATIVES = {   # name: (build, order) for a scalar function
    "grad": (lambda ad, f: ad.grad(f), 1),
    "grad_grad": (lambda ad, f: ad.grad(ad.grad(f)), 2),
    "grad3": (lambda ad, f: ad.grad(ad.grad(ad.grad(f))), 3),
    "jacfwd_jacrev": (lambda ad, f: ad.jacfwd(ad.jacrev(f)), 2),
    "hessian": (lambda ad, f: ad.hessian(f), 2),
    "jvp_of_grad": (lambda ad, f: (lambda x: ad.jvp(ad.grad(f), (x,), (np.ones_like(x),))[1]), 2),
    "jacfwd3": (lambda ad, f: ad.jacfwd(ad.jacfwd(ad.jacfwd(f))), 3),
    "jacrev_jacfwd_grad": (lambda ad, f: ad.jacrev(ad.jacfwd(ad.grad(f))), 3),
}

# The exponent as a Python int, a Python float, a 0-d array and a traced array
# (k * ones, built from x).  JAX agrees for Python ints (its integer_pow); for
# float and array exponents it gives nan at x = 0 where an order reaches past k
# (0 * inf in y * x**(y-1)), so those are checked against the exact values only.
_EXPONENTS = {
    "int": lambda m, x, k: x ** k,
    "float": lambda m, x, k: x ** float(k),
    "array": lambda m, x, k: m.power(x, np.full((), k, dtype=x.dtype)),
    "traced_array": lambda m, x, k: m.power(x, m.ones_like(x) * k + x * 0),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("deriv", list(_DERIVATIVES))
@pytest.mark.parametrize("kind", list(_EXPONENTS))
def test_integer_powers_at_zero_are_exact_to_every_order(kind, deriv, dtype):
    build, order = _DERIVATIVES[deriv]
    x = dtype(0.0)
    for k in range(5):
        fn = lambda m, x: _EXPONENTS[kind](m, x, k)   # noqa: E731
        ours = build(dualrev, lambda x: fn(dnp, x))(x)
        # (traced_array: d(x**y)/dy at x = 0 is 0, JAX's convention, so the
        # exponent's dependence on x adds nothing.)
        expected = _exact(k, order)
        np.testing.assert_array_equal(ours, expected, err_msg=f"{kind} x**{k} {deriv}")
        assert np.result_type(ours) == dtype, f"{kind} x**{k} {deriv}: dtype"
        if kind == "int":
            theirs = build(jax, lambda x: fn(jnp, x))(jnp.asarray(x))
            assert_tree_close(ours, theirs, err=f"JAX: x**{k} {deriv}")


def test_polynomial_derivatives_at_zero():
    c = np.array([1.5, -2.0, 3.0, 0.5, -0.25])
    polys = {
        # JAX agrees (integer exponents)
        "python_ints": lambda m, t: sum(c[k] * t ** k for k in range(5)),
        # JAX gives nan here at every order: 0 * 0**-1 in the exponent-0 term
        "array_exponent": lambda m, t: m.sum(c * t ** np.arange(5.0)),
    }
    for name, p in polys.items():
        for deriv, (build, order) in _DERIVATIVES.items():
            got = build(dualrev, lambda t: p(dnp, t))(0.0)
            assert got == math.factorial(order) * c[order], f"{name} {deriv}"
        for n in range(4):
            f = lambda t: p(dnp, t)   # noqa: E731
            for _ in range(n):
                f = dualrev.grad(f)
            assert f(0.0) == math.factorial(n) * c[n], f"{name}: derivative {n}"
    # at x != 0, against JAX and finite differences
    x = np.array([0.5, -1.25, 2.0])
    ours, theirs = _both(lambda ad, f: ad.jacfwd(ad.jacrev(f)),
                         lambda m, t: m.sum(c * t[:, None] ** np.arange(5.0)), x)
    assert_tree_close(ours, theirs)


def test_power_exponent_derivatives_at_zero_follow_jax():
    # d(x**y)/dy = x**y * log(x), taken as 0 at x = 0 (JAX's convention).
    for y in (0.0, 1.0, 2.0, 3.0, 0.5):
        for build in (lambda ad, f: ad.grad(f, 1), lambda ad, f: ad.grad(ad.grad(f, 1), 1),
                      lambda ad, f: ad.jacfwd(f, 1)):
            ours, theirs = _both(build, lambda m, x, y: m.power(x, y), np.float64(0.0),
                                 np.float64(y))
            assert_tree_close(ours, theirs, err=f"d/dy at y={y}")
    for x, y in [(0.0, 2.0), (0.0, 3.0), (2.0, 0.0), (0.5, 1.0), (3.0, 2.5)]:
        ours, theirs = _both(lambda ad, f: ad.hessian(f, (0, 1)),
                             lambda m, x, y: m.power(x, y), np.float64(x), np.float64(y))
        assert_tree_close(ours, theirs, err=f"hessian at ({x}, {y})")


def test_tensor_double_backward_of_powers_at_zero():
    c = [1.5, -2.0, 3.0, 0.5, -0.25]
    for k in range(5):
        x = dualrev.tensor(0.0, dtype=np.float64, requires_grad=True)
        (g,) = dualrev.autograd.grad(x ** k, x, create_graph=True)
        assert float(g) == _exact(k, 1), f"x**{k}: first derivative"
        if k == 0:
            # a constant zero, as PyTorch's (no graph to go back through)
            assert not g.requires_grad
            continue
        g.backward()
        assert float(x.grad) == _exact(k, 2), f"x**{k}: second derivative"
    x = dualrev.tensor(0.0, dtype=np.float64, requires_grad=True)
    p = sum(c[k] * x ** k for k in range(5))
    (g1,) = dualrev.autograd.grad(p, x, create_graph=True)
    (g2,) = dualrev.autograd.grad(g1, x, create_graph=True)
    (g3,) = dualrev.autograd.grad(g2, x, create_graph=True)
    assert [float(g1), float(g2), float(g3)] == [c[1], 2 * c[2], 6 * c[3]]
    g3.backward()
    assert float(x.grad) == 24 * c[4]


def test_power_of_python_int_zero_is_the_constant_one_as_jax():
    """x ** 0 does not depend on x (JAX's integer_pow(x, 0) is full_like(x, 1)): its
    derivative is a true zero, so an infinite x upstream gives 0, not 0 * inf = nan.
    Found by the differential fuzzer (seed 600280)."""
    x = np.array([[np.inf], [np.inf]])

    def f(m):
        return lambda x: m.mean((m.swapaxes(x, -1, -2) @ x) ** 0)
    with np.errstate(invalid="ignore"):
        ours = dualrev.grad(f(dnp))(x)
    np.testing.assert_array_equal(ours, np.asarray(jax.grad(f(jnp))(x)))
    np.testing.assert_array_equal(ours, np.zeros((2, 1)))
    y = np.linspace(-1.0, 1.0, 4, dtype=np.float32)
    out = dualrev.vmap(lambda v: v ** 0)(y.reshape(2, 2))
    assert out.dtype == np.float32 and np.array_equal(out, np.ones((2, 2)))
