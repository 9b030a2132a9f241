"""Complex numbers in the functional API, by JAX's convention, checked three ways.

* Against JAX: ``grad`` of real-valued functions of complex inputs (the gradient
  is ``∂f/∂Re z − i ∂f/∂Im z``), ``holomorphic=True`` on every Jacobian API,
  ``jvp``/``vjp`` with complex tangents and cotangents (the VJP is the transpose,
  not the adjoint), and second derivatives.
* Against central finite differences in the real and imaginary directions.
* The adjoint identity with JAX's bilinear pairing: Re Σ jvp(v)·w = Re Σ v·vjp(w).

Real values through complex intermediates are covered primitive by primitive in
the table of ``test_primitives.py``; here are the whole-API conventions and the
examples a user meets first.
"""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers import assert_tree_close, dnp, dualrev, jax, jnp, to_numpy

C64, C128 = np.complex64, np.complex128

# Holomorphic functions of one complex array (m is dualrev.numpy or jax.numpy).
HOLOMORPHIC = {
    "sin_times_z": lambda m, z: m.sin(z) * z,
    "exp_over_z": lambda m, z: m.exp(z) / (z + 3.0),
    "log_sqrt": lambda m, z: m.log(z) * m.sqrt(z),
    "tanh_cosh": lambda m, z: m.tanh(z) + m.cosh(z) ** 2,
    "power": lambda m, z: z ** 3 - 2j * z ** 0.5,
    "matmul": lambda m, z: m.reshape(z, (2, 2)) @ m.reshape(z * z, (2, 2)),
    "einsum_sum_prod": lambda m, z: m.sum(m.einsum("i,i->", z, z)) * m.prod(z) + z,
    "where_concat": lambda m, z: m.concatenate([m.where(m.real(z) > 1.0, z, z * z), z[:2]]),
}
# Real-valued, non-holomorphic functions of complex arrays.
REAL_VALUED = {
    "abs_squared": lambda m, z: m.sum(m.abs(z) ** 2),
    "abs": lambda m, z: m.sum(m.abs(m.sin(z))),
    "real_imag": lambda m, z: m.sum(m.real(z) * m.imag(z) ** 2),
    "conj_product": lambda m, z: m.sum(m.real(m.conj(z) * m.exp(z))),
    "angle": lambda m, z: m.sum(m.angle(z) * m.abs(z)),
    "astype_real": lambda m, z: m.sum(m.exp(z).real * 2.0),
    "max_abs": lambda m, z: m.max(m.abs(z * z)),
}
# Complex-valued, non-holomorphic: for jvp / vjp with complex tangents and cotangents.
NON_HOLOMORPHIC = {
    "conj_times_z": lambda m, z: m.conj(z) * m.sin(z),
    "abs_to_complex": lambda m, z: m.abs(z) * z,
    "real_imag_mix": lambda m, z: m.real(z) + 2j * m.imag(z) ** 2,
    "angle_phase": lambda m, z: m.exp(1j * m.angle(z)),
}

Z = np.array([1.0 + 2.0j, 0.5 - 0.7j, -1.2 + 0.3j, 2.0 + 0.1j])
Z_RIGHT = np.array([1.0 + 2.0j, 0.5 - 0.7j, 1.2 + 0.3j, 2.0 + 0.1j])   # Re z > 0: log, sqrt
V = np.array([0.3 - 1.0j, 1.1 + 0.2j, -0.4 + 0.9j, 0.6 - 0.5j])
W = np.array([-0.8 + 0.1j, 0.25 + 0.75j, 1.0 - 1.0j, 0.5 + 0.3j])


def point(name):
    return Z_RIGHT if name in ("log_sqrt", "power") else Z


def cotangent(out):
    """A fixed complex cotangent of out's shape."""
    return np.resize(W, np.shape(out))


def fd_grad(f, z, eps=1e-6):
    """∂f/∂Re z − i ∂f/∂Im z by central differences (f real-valued)."""
    g = np.zeros(z.shape, complex)
    for k in range(z.size):
        e = np.zeros(z.shape, complex)
        e.flat[k] = eps
        da = (f(z + e) - f(z - e)) / (2 * eps)
        db = (f(z + 1j * e) - f(z - 1j * e)) / (2 * eps)
        g.flat[k] = da - 1j * db
    return g


# ============================================================================ the first examples

def test_the_first_examples_users_meet():
    g = dualrev.grad(lambda z: abs(z) ** 2)(1 + 2j)
    assert g == 2 - 4j
    assert dualrev.grad(lambda x: dnp.abs(x * 1j))(0.3) == 1.0
    np.testing.assert_allclose(dualrev.grad(lambda x: dnp.abs(x + 2j))(1.0), 1 / np.sqrt(5),
                               rtol=1e-15)
    out, t = dualrev.jvp(lambda x: dnp.abs(x * 1j), (0.3,), (1.0,))
    assert np.result_type(t) == np.float64 and t == 1.0


def test_no_complex_warning_at_the_dtype_boundary():
    """The real part is taken on purpose, centrally: NumPy's ComplexWarning (a
    discarded imaginary part) must never be raised by a rule."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = lambda x: dnp.sum(dnp.abs(dnp.exp(1j * x) * x) ** 2)
        x = np.linspace(0.1, 1.0, 5)
        dualrev.grad(f)(x)
        dualrev.hessian(f)(x)
        dualrev.jvp(f, (x,), (np.ones(5),))
        dualrev.jacfwd(dualrev.grad(f))(x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_real_input_through_complex_gets_real_cotangent(dtype):
    x = np.array([0.3, -1.2, 2.0], dtype)
    f = lambda m, x: m.sum(m.abs(m.exp(1j * x) * x + 0.5j) ** 2)
    g = dualrev.grad(lambda x: f(dnp, x))(x)
    assert to_numpy(g).dtype == dtype
    assert_tree_close(g, np.asarray(jax.grad(lambda x: f(jnp, x))(x)))
    _, pull = dualrev.vjp(lambda x: x * (1 + 2j), x)
    (c,) = pull(np.ones(3, np.result_type(dtype, np.complex64)) * (1 + 1j))
    assert to_numpy(c).dtype == dtype
    np.testing.assert_allclose(c, np.full(3, -1.0))          # Re((1+i)(1+2i)) = -1


@pytest.mark.parametrize("dtype", [C64, C128])
def test_complex_dtype_is_kept(dtype):
    z = Z.astype(dtype)
    g = dualrev.grad(REAL_VALUED["abs_squared"].__get__(dnp))(z)
    assert to_numpy(g).dtype == dtype
    np.testing.assert_allclose(g, 2 * np.conj(z), rtol=1e-6)
    h = dualrev.grad(lambda z: dnp.sum(dnp.sin(z)), holomorphic=True)(z)
    assert to_numpy(h).dtype == dtype


# ============================================================================ against JAX

@pytest.mark.parametrize("name", list(REAL_VALUED))
def test_grad_of_real_valued_function(name):
    f = REAL_VALUED[name]
    g = dualrev.grad(lambda z: f(dnp, z))(Z)
    assert_tree_close(g, np.asarray(jax.grad(lambda z: f(jnp, z))(Z)), err=name)
    assert_tree_close(g, fd_grad(lambda z: f(np, z), Z), rtol=1e-6, atol=1e-8, err=name + " fd")


@pytest.mark.parametrize("name", list(REAL_VALUED))
def test_second_order_of_real_valued_function(name):
    """grad of (the real part of) a gradient, and jvp of the gradient with a complex
    tangent (forward over reverse), against JAX."""
    f = REAL_VALUED[name]

    def gg(m, ad):
        return lambda z: m.sum(m.real(ad.grad(lambda u: f(m, u))(z) * W))
    got = dualrev.grad(gg(dnp, dualrev))(Z)
    assert_tree_close(got, np.asarray(jax.grad(gg(jnp, jax))(Z)), rtol=1e-8, atol=1e-10, err=name)
    got = dualrev.jvp(dualrev.grad(lambda z: f(dnp, z)), (Z,), (V,))[1]
    want = jax.jvp(jax.grad(lambda z: f(jnp, z)), (Z,), (V,))[1]
    assert_tree_close(got, np.asarray(want), rtol=1e-8, atol=1e-10, err=name)


@pytest.mark.parametrize("name", list(HOLOMORPHIC))
@pytest.mark.parametrize("api", ["grad", "jacfwd", "jacrev", "hessian"])
def test_holomorphic(name, api):
    f = HOLOMORPHIC[name]
    z = point(name)
    if api in ("grad", "hessian"):
        fn = lambda m: (lambda z: m.sum(f(m, z) * W[:1]))
    else:
        fn = lambda m: (lambda z: f(m, z))
    got = getattr(dualrev, api)(fn(dnp), holomorphic=True)(z)
    want = getattr(jax, api)(fn(jnp), holomorphic=True)(z)
    assert_tree_close(got, np.asarray(want), rtol=1e-9, atol=1e-10, err=f"{name} {api}")


def test_value_and_grad_holomorphic():
    v, g = dualrev.value_and_grad(lambda z: dnp.sin(z) * z, holomorphic=True)(1 + 2j)
    jv, jg = jax.value_and_grad(lambda z: jnp.sin(z) * z, holomorphic=True)(1 + 2j)
    assert_tree_close((v, g), (np.asarray(jv), np.asarray(jg)), check_dtype=False)


@pytest.mark.parametrize("name", list(HOLOMORPHIC) + list(NON_HOLOMORPHIC))
def test_jvp_vjp_with_complex_tangents(name):
    f = {**HOLOMORPHIC, **NON_HOLOMORPHIC}[name]
    z = point(name)
    out, t = dualrev.jvp(lambda z: f(dnp, z), (z,), (V,))
    jout, jt = jax.jvp(lambda z: f(jnp, z), (z,), (V,))
    assert_tree_close((out, t), (np.asarray(jout), np.asarray(jt)), err=name)
    out, pull = dualrev.vjp(lambda z: f(dnp, z), z)
    w = cotangent(out)
    (c,) = pull(w)
    _, jpull = jax.vjp(lambda z: f(jnp, z), z)
    assert_tree_close(c, np.asarray(jpull(w)[0]), err=name)


@pytest.mark.parametrize("name", list(HOLOMORPHIC) + list(NON_HOLOMORPHIC))
def test_linearize_is_the_jvp(name):
    f = {**HOLOMORPHIC, **NON_HOLOMORPHIC}[name]
    z = point(name)
    _, lin = dualrev.linearize(lambda z: f(dnp, z), z)
    assert_tree_close(lin(V), np.asarray(jax.jvp(lambda z: f(jnp, z), (z,), (V,))[1]), err=name)


def test_abs_at_complex_zero_is_zero_as_jax():
    f = lambda m, z: m.sum(m.abs(z))
    z = np.array([0j, 1 - 1j])
    g = dualrev.grad(lambda z: f(dnp, z))(z)
    assert_tree_close(g, np.asarray(jax.grad(lambda z: f(jnp, z))(z)))
    assert g[0] == 0
    # Higher orders stay finite there too (no 0/0 in the branch that is not taken).
    h = dualrev.jvp(dualrev.grad(lambda z: f(dnp, z)), (z,), (np.ones(2, complex),))[1]
    assert np.isfinite(to_numpy(h)[0])


# ============================================================================ the adjoint identity

def _complex_arrays(n):
    el = st.floats(-2, 2, allow_nan=False, allow_subnormal=False)
    parts = hnp.arrays(np.float64, (2, n), elements=el)
    return parts.map(lambda p: p[0] + 1j * p[1])


@pytest.mark.parametrize("name", list(HOLOMORPHIC) + list(NON_HOLOMORPHIC))
@settings(max_examples=15, deadline=None)
@given(v=_complex_arrays(4), w=_complex_arrays(4))
def test_adjoint_identity(name, v, w):
    """Re Σ jvp(v)·w = Re Σ v·vjp(w): the VJP is the transpose of the JVP over the reals."""
    f = {**HOLOMORPHIC, **NON_HOLOMORPHIC}[name]
    z = point(name)
    out, t = dualrev.jvp(lambda z: f(dnp, z), (z,), (v,))
    _, pull = dualrev.vjp(lambda z: f(dnp, z), z)
    w = np.resize(w, np.shape(out))
    (c,) = pull(w)
    lhs = np.real(np.sum(to_numpy(t) * w))
    rhs = np.real(np.sum(v * to_numpy(c)))
    assert abs(lhs - rhs) <= 1e-10 * (1 + abs(lhs)), (lhs, rhs)


def test_astype_complex_to_real_keeps_the_real_part():
    """As NumPy (and JAX), the cast itself warns once, at the primal value; the
    tangent's cast takes the real part without another warning."""
    f = lambda m: (lambda z: m.sum(m.sin(z.astype(np.float64)) * 2.0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out, t = dualrev.jvp(f(dnp), (Z,), (V,))
    assert sum(issubclass(w.category, getattr(np, "exceptions", np).ComplexWarning) for w in caught) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        jout, jt = jax.jvp(f(jnp), (Z,), (V,))
        g = dualrev.grad(f(dnp))(Z)
        jg = jax.grad(f(jnp))(Z)
    assert_tree_close((out, t, g), (np.asarray(jout), np.asarray(jt), np.asarray(jg)))


def test_imag_of_a_real_value_is_a_constant():
    """As JAX: no derivative flows through it, so an infinite derivative further back
    (sqrt'(0)) meets no zero cotangent (0 * inf = nan)."""
    f = lambda m: (lambda x: m.sum(m.imag(m.sqrt(x)) + x))
    x = np.array([0.0, 2.0])
    with np.errstate(all="ignore"):
        g = dualrev.grad(f(dnp))(x)
        t = dualrev.jvp(f(dnp), (x,), (np.ones(2),))[1]
        jg, jt = jax.grad(f(jnp))(x), jax.jvp(f(jnp), (x,), (np.ones(2),))[1]
    assert_tree_close((g, t), (np.asarray(jg), np.asarray(jt)))
    np.testing.assert_array_equal(g, [1.0, 1.0])


def test_angle_of_a_real_value_as_jax():
    """0 or π: derivative 0, nan at 0 and at nan (angle jumps there), as JAX."""
    x = np.array([-1.5, 0.0, 2.0, np.nan, np.inf])
    with np.errstate(all="ignore"):
        g = dualrev.grad(lambda x: dnp.sum(dnp.angle(x)))(x)
        jg = jax.grad(lambda x: jnp.sum(jnp.angle(x)))(x)
        t = dualrev.jvp(dnp.angle, (x,), (np.ones(5),))[1]
        jt = jax.jvp(jnp.angle, (x,), (np.ones(5),))[1]
        h = dualrev.hessian(lambda x: dnp.sum(dnp.angle(x)))(x)
        jh = jax.hessian(lambda x: jnp.sum(jnp.angle(x)))(x)
    assert_tree_close((g, t, h), (np.asarray(jg), np.asarray(jt), np.asarray(jh)))
    assert np.isnan(g[1]) and g[0] == 0 and g[2] == 0


def test_sigmoid_of_complex_values_as_jax():
    from dualrev.nn import functional as F
    z = np.array([1 + 1j, -0.5 + 2j, -3 - 0.2j])
    assert_tree_close(F.sigmoid(z), np.asarray(jax.nn.sigmoid(z)))
    g = dualrev.grad(lambda z: dnp.sum(dnp.abs(F.sigmoid(z)) ** 2))(z)
    jg = jax.grad(lambda z: jnp.sum(jnp.abs(jax.nn.sigmoid(z)) ** 2))(z)
    assert_tree_close(g, np.asarray(jg))


def test_einsum_diagonal_keeps_inf_on_the_diagonal():
    """The cotangent of an operand with a repeated subscript is placed on the
    diagonal without multiplying by an identity (0 * inf would be nan off it)."""
    x = np.array([[1000.0, 1.0], [1.0, 0.0]])
    f = lambda m: (lambda a: m.sum(m.exp(m.einsum("ii->i", a))))
    with np.errstate(all="ignore"):
        g, jg = dualrev.grad(f(dnp))(x), jax.grad(f(jnp))(x)
    assert_tree_close(g, np.asarray(jg))
    assert g[0, 1] == 0 and g[1, 0] == 0
