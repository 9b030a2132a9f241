"""The functional API (grad, value_and_grad, vjp, jvp, linearize, jacfwd,
jacrev, hessian, hvp, stop_gradient, make_tape, dual) against JAX."""
import gc
import re
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dualrev
import dualrev.core
import dualrev.numpy as dnp
from dualrev.core import Tracer

jax.config.update("jax_enable_x64", True)


# ----------------------------------------------------------------------------- helpers

def assert_tree_allclose(ours, ref, rtol=1e-10, atol=1e-12, dtype=True, path="root"):
    """ours and ref have the same container structure (tuple/list/dict/None)
    and leaves of equal shape, dtype and value."""
    if isinstance(ref, (tuple, list)):
        assert type(ours) is type(ref), f"{path}: {type(ours).__name__} != {type(ref).__name__}"
        assert len(ours) == len(ref), f"{path}: length {len(ours)} != {len(ref)}"
        for i, (a, b) in enumerate(zip(ours, ref)):
            assert_tree_allclose(a, b, rtol, atol, dtype, f"{path}[{i}]")
        return
    if isinstance(ref, dict):
        assert type(ours) is dict, f"{path}: {type(ours).__name__} is not a dict"
        assert sorted(ours) == sorted(ref), f"{path}: keys {sorted(ours)} != {sorted(ref)}"
        for k in ref:
            assert_tree_allclose(ours[k], ref[k], rtol, atol, dtype, f"{path}[{k!r}]")
        return
    if ref is None:
        assert ours is None, f"{path}: expected None, got {ours!r}"
        return
    assert not isinstance(ours, Tracer), f"{path}: a traced value leaked out: {ours!r}"
    assert not isinstance(ours, (tuple, list, dict)), f"{path}: got a container {ours!r}"
    r = np.asarray(ref)
    o = np.asarray(ours)
    assert o.shape == r.shape, f"{path}: shape {o.shape} != {r.shape}"
    if dtype:
        assert o.dtype == r.dtype, f"{path}: dtype {o.dtype} != {r.dtype}"
    np.testing.assert_allclose(o, r, rtol=rtol, atol=atol, err_msg=path)


def to_jax(tree):
    """The same pytree with array leaves as jnp arrays (Python floats kept)."""
    if isinstance(tree, tuple):
        return tuple(to_jax(t) for t in tree)
    if isinstance(tree, list):
        return [to_jax(t) for t in tree]
    if isinstance(tree, dict):
        return {k: to_jax(v) for k, v in tree.items()}
    if isinstance(tree, np.ndarray):
        return jnp.asarray(tree)
    return tree


rng = np.random.default_rng(1234)


def randn(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


# A function of a pytree argument written once for both libraries (m is dnp or jnp).
def tree_loss(m):
    def f(p):
        w, b = p["w"], p["b"]
        (s, none), t = p["nested"]
        assert none is None
        h = m.tanh(w * b + s)
        return m.sum(h * h) + t * m.sin(b) + m.sum(m.exp(w) * s)
    return f


def tree_params():
    return {"w": randn(3), "b": 0.7, "nested": [(np.array(0.3), None), 1.5]}


# ----------------------------------------------------------------------------- grad

def test_grad_pytree_input_matches_jax():
    p = tree_params()
    g = dualrev.grad(tree_loss(dnp))(p)
    ref = jax.jit(jax.grad(tree_loss(jnp)))(to_jax(p))
    assert_tree_allclose(g, ref)
    # Python float leaves come back as float64 0-d values, like JAX's.
    assert np.shape(g["b"]) == () and np.shape(g["nested"][1]) == ()


def _three(m):
    return lambda x, y, z: m.sum(m.sin(x) * y) * z + m.sum(x * x) * z * z


@pytest.mark.parametrize("argnums", [0, 1, 2, -1, -3, (0,), (2, 0), (0, 1, 2), (-1, 1), (-2,)])
def test_grad_argnums_matches_jax(argnums):
    args = (randn(4), randn(4), 1.3)
    g = dualrev.grad(_three(dnp), argnums=argnums)(*args)
    ref = jax.jit(jax.grad(_three(jnp), argnums=argnums))(*to_jax(args))
    assert_tree_allclose(g, ref)
    if isinstance(argnums, tuple):
        assert isinstance(g, tuple) and len(g) == len(argnums)
    else:
        assert not isinstance(g, tuple)


def test_grad_kwargs_are_passed_through_and_not_differentiated():
    f = lambda x, scale=1.0: scale * dnp.sum(x ** 3)
    x = randn(3)
    np.testing.assert_allclose(dualrev.grad(f)(x, scale=2.0), 6.0 * x ** 2, rtol=1e-12)


@pytest.mark.parametrize("argnums", [0, (0, 1)])
def test_grad_has_aux_matches_jax(argnums):
    def f(m):
        def fun(x, y):
            h = m.sin(x) * y
            return m.sum(h ** 2), {"h": h, "n": [m.sum(x), None]}
        return fun
    args = (randn(3), randn(3))
    g, aux = dualrev.grad(f(dnp), argnums=argnums, has_aux=True)(*args)
    rg, raux = jax.jit(jax.grad(f(jnp), argnums=argnums, has_aux=True))(*to_jax(args))
    assert_tree_allclose(g, rg)
    assert_tree_allclose(aux, raux)


def test_value_and_grad_matches_jax():
    args = (randn(4), randn(4), 0.4)
    v, g = dualrev.value_and_grad(_three(dnp), argnums=(0, 2))(*args)
    rv, rg = jax.jit(jax.value_and_grad(_three(jnp), argnums=(0, 2)))(*to_jax(args))
    assert_tree_allclose(v, rv)
    assert_tree_allclose(g, rg)


@pytest.mark.parametrize("argnums", [1, (1, 0)])
def test_value_and_grad_has_aux_matches_jax(argnums):
    def f(m):
        return lambda x, y: (m.sum(m.exp(x) * y), (x * 2.0, [m.sum(y)]))
    args = (randn(2), randn(2))
    (v, aux), g = dualrev.value_and_grad(f(dnp), argnums=argnums, has_aux=True)(*args)
    (rv, raux), rg = jax.jit(jax.value_and_grad(f(jnp), argnums=argnums, has_aux=True))(*to_jax(args))
    assert_tree_allclose(v, rv)
    assert_tree_allclose(aux, raux)
    assert_tree_allclose(g, rg)


def test_grad_of_unused_input_is_zero_with_its_shape_and_dtype():
    f = lambda x, y: dnp.sum(x * 2.0)
    gx, gy = dualrev.grad(f, argnums=(0, 1))(np.ones(3), np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(gx, 2.0 * np.ones(3))
    assert np.shape(gy) == (2, 2) and np.asarray(gy).dtype == np.float32
    np.testing.assert_array_equal(gy, 0.0)


def test_grad_of_constant_function_is_zero():
    g = dualrev.grad(lambda x: 3.0)(np.ones(2))
    np.testing.assert_array_equal(g, np.zeros(2))
    assert np.shape(g) == (2,)


@pytest.mark.parametrize("x", [2.0, np.array(2.0), np.float64(2.0)], ids=["float", "0d", "npscalar"])
def test_grad_python_scalar_and_0d_array(x):
    f = lambda x: x * dnp.sin(x) + x ** 3
    g = dualrev.grad(f)(x)
    expected = np.sin(2.0) + 2.0 * np.cos(2.0) + 12.0
    assert np.shape(g) == ()
    assert np.asarray(g).dtype == np.float64
    np.testing.assert_allclose(g, expected, rtol=1e-13)
    v, g2 = dualrev.value_and_grad(f)(x)
    np.testing.assert_allclose(v, 2.0 * np.sin(2.0) + 8.0, rtol=1e-13)
    np.testing.assert_allclose(g2, expected, rtol=1e-13)


# ----------------------------------------------------------------------------- vjp

def _tree_out(m):
    def f(x, y):
        return {"a": x * y, "b": (m.sin(x), [m.sum(y * y), None]), "c": m.tanh(x[0])}
    return f


def test_vjp_pytree_output_matches_jax():
    x, y = randn(3), randn(3)
    out, vjp_fn = dualrev.vjp(_tree_out(dnp), x, y)
    ct = {"a": randn(3), "b": (randn(3), [1.7, None]), "c": np.array(-0.4)}

    @jax.jit
    def reference(x, y, ct):
        rout, rvjp = jax.vjp(_tree_out(jnp), x, y)
        return rout, rvjp(ct)
    rout, rres = reference(x, y, to_jax(ct))
    assert_tree_allclose(out, rout)
    res = vjp_fn(ct)
    assert isinstance(res, tuple) and len(res) == 2
    assert_tree_allclose(res, rres)


def test_vjp_pytree_input_matches_jax():
    p = tree_params()
    out, vjp_fn = dualrev.vjp(tree_loss(dnp), p)

    @jax.jit
    def reference(p):
        rout, rvjp = jax.vjp(tree_loss(jnp), p)
        return rout, rvjp(2.5)
    rout, rres = reference(to_jax(p))
    assert_tree_allclose(out, rout)
    assert_tree_allclose(vjp_fn(2.5), rres)


def test_vjp_single_primal_returns_one_tuple():
    out, vjp_fn = dualrev.vjp(dnp.sin, 0.5)
    res = vjp_fn(1.0)
    assert isinstance(res, tuple) and len(res) == 1
    np.testing.assert_allclose(res[0], np.cos(0.5), rtol=1e-14)


def test_vjp_has_aux_matches_jax():
    def f(m):
        return lambda x: (m.exp(x) * 2.0, {"s": m.sum(x), "l": [x[:1], None]})
    x = randn(3)
    out, vjp_fn, aux = dualrev.vjp(f(dnp), x, has_aux=True)
    rout, rvjp, raux = jax.vjp(f(jnp), jnp.asarray(x), has_aux=True)
    assert_tree_allclose(out, rout)
    assert_tree_allclose(aux, raux)
    ct = randn(3)
    assert_tree_allclose(vjp_fn(ct), rvjp(jnp.asarray(ct)))


def test_vjp_fn_called_twice_gives_same_result_and_never_reruns_fun():
    calls = []

    def f(x, y):
        calls.append(1)
        return dnp.sin(x) * y, dnp.sum(x ** 2)

    x, y = randn(4), randn(4)
    out, vjp_fn = dualrev.vjp(f, x, y)
    assert len(calls) == 1
    ct = (randn(4), 0.5)
    first = vjp_fn(ct)
    second = vjp_fn(ct)
    third = vjp_fn((2.0 * ct[0], 1.0))
    assert len(calls) == 1
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(first[0], ct[0] * np.cos(x) * y + 0.5 * 2 * x, rtol=1e-13)
    np.testing.assert_allclose(third[0], 2 * ct[0] * np.cos(x) * y + 2 * x, rtol=1e-13)
    np.testing.assert_allclose(third[1], 2 * ct[0] * np.sin(x), rtol=1e-13)


def test_vjp_repeated_output_leaves_accumulate_like_jax():
    def f(m):
        def g(x):
            y = m.sin(x) * 2.0
            return (y, y, x, [x])
        return g
    x = randn(2)
    ct = (randn(2), randn(2), randn(2), [randn(2)])
    out, vjp_fn = dualrev.vjp(f(dnp), x)
    rout, rvjp = jax.vjp(f(jnp), jnp.asarray(x))
    assert_tree_allclose(out, rout)
    assert_tree_allclose(vjp_fn(ct), rvjp(to_jax(ct)))
    J = dualrev.jacrev(f(dnp))(x)
    assert_tree_allclose(J, dualrev.jacfwd(f(dnp))(x))
    assert_tree_allclose(J, jax.jacrev(f(jnp))(jnp.asarray(x)))


# ----------------------------------------------------------------------------- jvp

def test_jvp_pytree_matches_jax():
    p = tree_params()
    t = {"w": randn(3), "b": -0.2, "nested": [(np.array(1.1), None), 0.6]}
    out, tout = dualrev.jvp(tree_loss(dnp), (p,), (t,))
    rout, rtout = jax.jit(lambda p, t: jax.jvp(tree_loss(jnp), (p,), (t,)))(to_jax(p), to_jax(t))
    assert_tree_allclose(out, rout)
    assert_tree_allclose(tout, rtout)


def test_jvp_pytree_output_matches_jax():
    x, y, tx, ty = randn(3), randn(3), randn(3), randn(3)
    out, tout = dualrev.jvp(_tree_out(dnp), [x, y], [tx, ty])
    rout, rtout = jax.jit(lambda x, y, tx, ty: jax.jvp(_tree_out(jnp), (x, y), (tx, ty)))(
        x, y, tx, ty)
    assert_tree_allclose(out, rout)
    assert_tree_allclose(tout, rtout)


def test_jvp_has_aux_matches_jax():
    def f(m):
        return lambda x: (m.sin(x) * x, [m.cos(x), {"z": None}])
    x, t = randn(3), randn(3)
    out, tout, aux = dualrev.jvp(f(dnp), (x,), (t,), has_aux=True)
    rout, rtout, raux = jax.jvp(f(jnp), (jnp.asarray(x),), (jnp.asarray(t),), has_aux=True)
    assert_tree_allclose(out, rout)
    assert_tree_allclose(tout, rtout)
    assert_tree_allclose(aux, raux)


def test_jvp_output_independent_of_input_has_zero_tangent():
    out, tout = dualrev.jvp(lambda x: (x * 2.0, np.ones(2)), (np.ones(3),), (np.ones(3),))
    np.testing.assert_array_equal(tout[0], 2.0 * np.ones(3))
    np.testing.assert_array_equal(tout[1], np.zeros(2))
    assert np.shape(tout[1]) == (2,)


# ----------------------------------------------------------------------------- linearize

def test_linearize_matches_jax_and_never_reruns_fun():
    calls = []

    def f(m):
        def fun(x, p):
            calls.append(m)
            return {"u": m.sin(x) * p["a"], "v": (m.sum(x * x * p["b"]), None)}
        return fun

    x = randn(3)
    p = {"a": randn(3), "b": 0.3}
    out, jvp_fn = dualrev.linearize(f(dnp), x, p)
    rout, rjvp = jax.linearize(f(jnp), jnp.asarray(x), to_jax(p))
    assert_tree_allclose(out, rout)
    n = len([c for c in calls if c is dnp])
    assert n == 1
    for _ in range(2):
        tx, tp = randn(3), {"a": randn(3), "b": 1.2}
        assert_tree_allclose(jvp_fn(tx, tp), rjvp(jnp.asarray(tx), to_jax(tp)))
    assert len([c for c in calls if c is dnp]) == n


def test_linearize_jvp_fn_twice_same_result():
    out, jvp_fn = dualrev.linearize(lambda x: dnp.exp(x) * dnp.sin(x), 0.7)
    a, b = jvp_fn(1.0), jvp_fn(1.0)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, np.exp(0.7) * (np.sin(0.7) + np.cos(0.7)), rtol=1e-13)
    np.testing.assert_allclose(jvp_fn(-3.0), -3.0 * a, rtol=1e-13)


# ----------------------------------------------------------------------------- Jacobians

def _jac_fns(m):
    return {
        "vec->vec": (lambda x: m.sin(x) * m.sum(x ** 2), (randn(3),)),
        "mat->scalar": (lambda x: m.sum(m.tanh(x @ x.T)), (randn(2, 3),)),
        "vec->mat": (lambda x: m.outer(x, m.exp(x)), (randn(3),)),
        "scalar->vec": (lambda x: m.stack([x, x * x, m.sin(x)]), (0.8,)),
        "scalar->scalar": (lambda x: m.cos(x) * x, (np.array(1.3),)),
    }


@pytest.mark.parametrize("jac", ["jacfwd", "jacrev"])
@pytest.mark.parametrize("case", list(_jac_fns(dnp)))
def test_jacobian_matches_jax(jac, case):
    f, args = _jac_fns(dnp)[case]
    rf, _ = _jac_fns(jnp)[case]
    J = getattr(dualrev, jac)(f)(*args)
    RJ = jax.jit(getattr(jax, jac)(rf))(*to_jax(args))
    assert_tree_allclose(J, RJ)


@pytest.mark.parametrize("jac", ["jacfwd", "jacrev"])
@pytest.mark.parametrize("argnums", [0, 1, -1, (0,), (1, 0), (0, -1)])
def test_jacobian_argnums_structure_matches_jax(jac, argnums):
    def f(m):
        return lambda x, y: {"p": x[:, None] * y[None, :], "q": [m.sum(m.sin(x) * y[:3])]}
    args = (randn(3), randn(4))
    J = getattr(dualrev, jac)(f(dnp), argnums=argnums)(*args)
    RJ = jax.jit(getattr(jax, jac)(f(jnp), argnums=argnums))(*to_jax(args))
    assert_tree_allclose(J, RJ)
    assert type(J) is dict and type(J["q"]) is list
    if isinstance(argnums, tuple):
        assert type(J["p"]) is tuple and len(J["p"]) == len(argnums)


@pytest.mark.parametrize("jac", ["jacfwd", "jacrev"])
def test_jacobian_pytree_input_matches_jax(jac):
    def f(m):
        return lambda p: (p["w"] * p["b"], m.sum(p["nested"][0][0]) * p["w"])
    p = tree_params()
    J = getattr(dualrev, jac)(f(dnp))(p)
    RJ = jax.jit(getattr(jax, jac)(f(jnp)))(to_jax(p))
    assert_tree_allclose(J, RJ)


@pytest.mark.parametrize("jac", ["jacfwd", "jacrev"])
def test_jacobian_has_aux_matches_jax(jac):
    def f(m):
        return lambda x: (m.sin(x) * 3.0, {"x2": x * x, "n": None})
    x = randn(3)
    J, aux = getattr(dualrev, jac)(f(dnp), has_aux=True)(x)
    RJ, raux = jax.jit(getattr(jax, jac)(f(jnp), has_aux=True))(jnp.asarray(x))
    assert_tree_allclose(J, RJ)
    assert_tree_allclose(aux, raux)


# ----------------------------------------------------------------------------- hessian / hvp

def test_hessian_matches_jax():
    A = randn(3, 3)

    def f(m):
        return lambda x: m.sum(m.tanh(A @ x) * x) + m.sum(x ** 4)
    x = randn(3)
    assert_tree_allclose(dualrev.hessian(f(dnp))(x), jax.jit(jax.hessian(f(jnp)))(jnp.asarray(x)))


@pytest.mark.parametrize("argnums", [0, 1, (0, 1), (1, 0), -1])
def test_hessian_argnums_matches_jax(argnums):
    def f(m):
        return lambda x, y: m.sum(m.sin(x) * y[:2]) * m.sum(y ** 2) + m.prod(x)
    args = (randn(2), randn(3))
    H = dualrev.hessian(f(dnp), argnums=argnums)(*args)
    RH = jax.jit(jax.hessian(f(jnp), argnums=argnums))(*to_jax(args))
    assert_tree_allclose(H, RH)


def test_hessian_pytree_input_matches_jax():
    def f(m):
        return lambda p: m.sum(p["a"] ** 3 * p["b"][0]) + m.sin(p["b"][0]) * p["b"][1]
    p = {"a": randn(2), "b": [0.4, np.array(1.5)]}
    assert_tree_allclose(dualrev.hessian(f(dnp))(p), jax.jit(jax.hessian(f(jnp)))(to_jax(p)))


def test_hvp_matches_jax():
    def f(m):
        return lambda x: m.sum(m.exp(x) * m.sin(x)) * m.sum(x)
    x, v = randn(4), randn(4)
    ref = jax.jit(lambda x, v: jax.jvp(jax.grad(f(jnp)), (x,), (v,))[1])(x, v)
    assert_tree_allclose(dualrev.hvp(f(dnp), (x,), (v,)), ref)


def test_hvp_several_primals_matches_jax():
    def f(m):
        return lambda x, y: m.sum(x * x * y) + m.sum(m.cos(y)) * x[0]
    x, y, vx, vy = randn(2), randn(2), randn(2), randn(2)
    ref = jax.jit(lambda x, y, vx, vy: jax.jvp(jax.grad(f(jnp), argnums=(0, 1)), (x, y),
                                               (vx, vy))[1])(x, y, vx, vy)
    assert_tree_allclose(dualrev.hvp(f(dnp), (x, y), (vx, vy)), ref)


# ----------------------------------------------------------------------------- stop_gradient

def test_stop_gradient_matches_jax():
    def f(m, sg):
        return lambda x: m.sum(x * sg(m.sin(x))) + sg(x[0]) * x[1]
    x = randn(3)
    g = dualrev.grad(f(dnp, dualrev.stop_gradient))(x)
    rg = jax.jit(jax.grad(f(jnp, jax.lax.stop_gradient)))(jnp.asarray(x))
    assert_tree_allclose(g, rg)
    np.testing.assert_allclose(g, np.sin(x) + np.array([0.0, x[0], 0.0]), rtol=1e-13)


def test_stop_gradient_in_forward_mode_and_on_pytrees():
    def f(x):
        s = dualrev.stop_gradient({"a": x, "b": [x * 2.0, None]})
        assert not isinstance(s["a"], Tracer) and s["b"][1] is None
        return x * s["a"] + s["b"][0]
    out, t = dualrev.jvp(f, (3.0,), (1.0,))
    np.testing.assert_allclose(out, 15.0)
    np.testing.assert_allclose(t, 3.0)
    np.testing.assert_allclose(dualrev.jacfwd(f)(3.0), 3.0)
    np.testing.assert_allclose(dualrev.jacrev(f)(3.0), 3.0)


def test_stop_gradient_on_plain_value_is_identity():
    x = randn(3)
    np.testing.assert_array_equal(dualrev.stop_gradient(x), x)


# ----------------------------------------------------------------------------- float32

def _f32(m):
    return lambda x: m.sum(m.sin(x) * x * 2.0) + m.sum(m.exp(x) / 3)


def test_float32_stays_float32_through_grad_vjp_jvp():
    x = randn(3, dtype=np.float32)
    g = dualrev.grad(_f32(dnp))(x)
    assert np.asarray(g).dtype == np.float32
    np.testing.assert_allclose(g, jax.jit(jax.grad(_f32(jnp)))(jnp.asarray(x)), rtol=1e-5)

    v, g2 = dualrev.value_and_grad(_f32(dnp))(x)
    assert np.asarray(v).dtype == np.float32 and np.asarray(g2).dtype == np.float32

    h = lambda x: dnp.tanh(x) * 0.5 + x * x
    out, vjp_fn = dualrev.vjp(h, x)
    assert np.asarray(out).dtype == np.float32
    (ct,) = vjp_fn(np.ones(3, np.float32))
    assert np.asarray(ct).dtype == np.float32
    (ct64,) = vjp_fn(np.ones(3, np.float64))
    assert np.asarray(ct64).dtype == np.float32

    out, tout = dualrev.jvp(h, (x,), (np.ones(3, np.float32),))
    assert np.asarray(out).dtype == np.float32 and np.asarray(tout).dtype == np.float32
    np.testing.assert_allclose(tout, 0.5 * (1 - np.tanh(x) ** 2) + 2 * x, rtol=1e-5)


def test_float32_stays_float32_through_jacobians_hessian_linearize():
    x = randn(3, dtype=np.float32)
    for name in ["jacfwd", "jacrev", "hessian"]:
        r = getattr(dualrev, name)(_f32(dnp))(x)
        assert np.asarray(r).dtype == np.float32, name
        rr = jax.jit(getattr(jax, name)(_f32(jnp)))(jnp.asarray(x))
        assert rr.dtype == jnp.float32
        np.testing.assert_allclose(r, rr, rtol=1e-4, atol=1e-5, err_msg=name)
    out, jvp_fn = dualrev.linearize(lambda x: dnp.sin(x) * 3.0, x)
    assert np.asarray(out).dtype == np.float32
    assert np.asarray(jvp_fn(np.ones(3, np.float32))).dtype == np.float32
    hv = dualrev.hvp(_f32(dnp), (x,), (np.ones(3, np.float32),))
    assert np.asarray(hv).dtype == np.float32


def test_float32_0d():
    x = np.float32(0.5)
    g = dualrev.grad(lambda x: dnp.sin(x) * x)(x)
    assert np.asarray(g).dtype == np.float32
    np.testing.assert_allclose(g, np.sin(0.5) + 0.5 * np.cos(0.5), rtol=1e-6)


F32_FUNS = {
    "sin": lambda m: lambda x: m.sin(x) * x,
    "log_sqrt": lambda m: lambda x: m.log(x + 2.0) * m.sqrt(x + 2.0),
    "pow_scalar_exponent": lambda m: lambda x: (x + 2.0) ** 1.5,
    "pow_scalar_base": lambda m: lambda x: 2.0 ** x,
    "pow_int_base": lambda m: lambda x: 3 ** x,
    "pow_traced_both": lambda m: lambda x: (x + 2.0) ** x,
    "rdiv": lambda m: lambda x: 1.0 / (x + 3.0),
    "reductions": lambda m: lambda x: m.mean(x) * x + m.prod(x) + m.max(x),
    "matmul": lambda m: lambda x: m.outer(x, x) @ x,
    "where_max": lambda m: lambda x: m.where(x > 0, x * x, -x) + m.maximum(x, 0.1),
}


def _all_transforms(f, x, v):
    s = lambda x: dnp.sum(f(x))
    return {
        "jvp_out": dualrev.jvp(f, (x,), (v,))[0],
        "jvp_tangent": dualrev.jvp(f, (x,), (v,))[1],
        "grad": dualrev.grad(s)(x),
        "vjp": dualrev.vjp(f, x)[1](v)[0],
        "linearize": dualrev.linearize(f, x)[1](v),
        "jacfwd": dualrev.jacfwd(f)(x),
        "jacrev": dualrev.jacrev(f)(x),
        "hessian": dualrev.hessian(s)(x),
        "hvp": dualrev.hvp(s, (x,), (v,)),
    }


@pytest.mark.parametrize("name", list(F32_FUNS))
def test_float32_through_every_transform(name):
    f, rf = F32_FUNS[name](dnp), F32_FUNS[name](jnp)
    x = np.array([0.3, -0.6, 0.9], np.float32)
    v = np.array([1.0, 0.5, -1.0], np.float32)
    ours = _all_transforms(f, x, v)
    wrong = {k: str(np.asarray(r).dtype) for k, r in ours.items() if np.asarray(r).dtype != np.float32}
    assert not wrong, f"float32 input gave other dtypes: {wrong}"
    # Values: the same transforms in float64, and JAX for jvp and grad.
    ours64 = _all_transforms(f, x.astype(np.float64), v.astype(np.float64))
    for k in ours:
        np.testing.assert_allclose(ours[k], ours64[k], rtol=1e-4, atol=1e-5, err_msg=k)
    rt = jax.jvp(rf, (jnp.asarray(x),), (jnp.asarray(v),))[1]
    assert rt.dtype == jnp.float32
    np.testing.assert_allclose(ours["jvp_tangent"], rt, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("op", ["add", "subtract", "multiply", "maximum", "minimum"])
def test_jvp_tangent_dtype_follows_promoted_output(op):
    """float32 input against a float64 array: output and its tangent are float64 (as JAX)."""
    c = np.array([0.5, -0.5, 2.0])
    x = np.array([0.3, -0.6, 0.9], np.float32)
    f = lambda x: getattr(dnp, op)(x, c)
    out, t = dualrev.jvp(f, (x,), (np.ones(3, np.float32),))
    rout, rt = jax.jvp(lambda x: getattr(jnp, op)(x, c), (jnp.asarray(x),),
                       (jnp.ones(3, jnp.float32),))
    assert np.asarray(out).dtype == rout.dtype == rt.dtype == np.float64
    assert np.asarray(t).dtype == np.asarray(out).dtype, "tangent dtype differs from its primal's"
    np.testing.assert_allclose(t, rt, rtol=1e-7)
    assert np.asarray(dualrev.jacfwd(f)(x)).dtype == np.float64
    g = dualrev.grad(lambda x: dnp.sum(f(x)))(x)
    assert np.asarray(g).dtype == np.float32


# ----------------------------------------------------------------------------- scalars

@pytest.mark.parametrize("x", [0.3, np.array(0.3)], ids=["float", "0d"])
def test_all_transforms_accept_python_float_and_0d(x):
    f = lambda x: dnp.exp(x) * dnp.cos(x)
    d1 = np.exp(0.3) * (np.cos(0.3) - np.sin(0.3))
    d2 = -2 * np.exp(0.3) * np.sin(0.3)
    for name in ["grad", "jacfwd", "jacrev"]:
        r = getattr(dualrev, name)(f)(x)
        assert np.shape(r) == (), name
        np.testing.assert_allclose(r, d1, rtol=1e-13, err_msg=name)
    np.testing.assert_allclose(dualrev.jvp(f, (x,), (1.0,))[1], d1, rtol=1e-13)
    np.testing.assert_allclose(dualrev.vjp(f, x)[1](1.0)[0], d1, rtol=1e-13)
    np.testing.assert_allclose(dualrev.linearize(f, x)[1](1.0), d1, rtol=1e-13)
    h = dualrev.hessian(f)(x)
    assert np.shape(h) == ()
    np.testing.assert_allclose(h, d2, rtol=1e-13)
    np.testing.assert_allclose(dualrev.hvp(f, (x,), (2.0,)), 2 * d2, rtol=1e-13)


# ----------------------------------------------------------------------------- make_tape

def test_make_tape_listing_one_line_per_operation():
    listing = dualrev.make_tape(lambda x, y: dnp.sum(dnp.sin(x) * y, axis=0))(
        np.ones((2, 3)), np.ones(3, np.float32))
    text = str(listing)
    assert repr(listing) == text
    lines = text.splitlines()
    # header + 2 inputs + sin, multiply, sum
    assert len(listing) == 5
    assert len(lines) == 1 + 5, text
    body = lines[1:]
    assert re.search(r"%0\s*=\s*input\s+float64\[2, 3\]", body[0]), body[0]
    assert re.search(r"%1\s*=\s*input\s+float32\[3\]", body[1]), body[1]
    assert re.search(r"%2\s*=\s*sin\s+float64\[2, 3\]\s+\(%0\)", body[2]), body[2]
    assert re.search(r"%3\s*=\s*multiply\s+float64\[2, 3\]\s+\(%2, %1\)", body[3]), body[3]
    assert re.search(r"%4\s*=\s*sum\s+float64\[3\]\s+\(%3\b", body[4]), body[4]
    assert "axis=(0,)" in body[4]
    assert "2 inputs" in lines[0] and "3 operations" in lines[0] and "%4" in lines[0]


def test_make_tape_constants_and_op_count():
    listing = dualrev.make_tape(lambda x: dnp.exp(x * 2.0) + dnp.exp(x))(np.ones(4))
    body = str(listing).splitlines()[1:]
    prims = [l.split("=")[1].split()[0] for l in body]
    assert prims == ["input", "multiply", "exp", "exp", "add"]
    assert "(%0, const)" in body[1]
    assert all("float64[4]" in l for l in body)


def test_make_tape_constant_first_argument_three_inputs_and_outputs():
    listing = dualrev.make_tape(lambda x, y: (2.0 - x, dnp.where(x > 0, x, y), np.ones(2)))(
        np.ones(2), 3.0)
    lines = str(listing).splitlines()
    assert len(lines) == 1 + 4
    assert re.search(r"2 inputs, 2 operations, outputs %2, %3, const", lines[0]), lines[0]
    assert re.search(r"%1\s*=\s*input\s+float64\[\]", lines[2]), lines[2]
    assert re.search(r"%2\s*=\s*subtract\s+float64\[2\]\s+\(const, %0\)", lines[3]), lines[3]
    assert re.search(r"%3\s*=\s*where\s+float64\[2\]\s+\(const, %0, %1\)", lines[4]), lines[4]


def test_make_tape_identity_has_no_operations():
    lines = str(dualrev.make_tape(lambda x: x)(np.ones(2))).splitlines()
    assert len(lines) == 2 and "0 operations" in lines[0] and "outputs %0" in lines[0]


# ----------------------------------------------------------------------------- dual

def test_dual_sin_tangent(manual_duals):
    d = dualrev.dual(2.0, 1.0)
    y = dnp.sin(d)
    np.testing.assert_allclose(y.primal, np.sin(2.0), rtol=1e-15)
    np.testing.assert_allclose(y.tangent, np.cos(2.0), rtol=1e-15)
    assert y.tag is d.tag


def test_dual_pytree_shares_tag_and_product_rule(manual_duals):
    d = dualrev.dual({"x": 3.0, "y": [np.array([1.0, 2.0]), None]},
                     {"x": 1.0, "y": [np.array([0.0, 1.0]), None]})
    assert d["y"][1] is None
    assert d["x"].tag is d["y"][0].tag
    z = d["x"] * d["y"][0]
    # Same tag: one perturbation, product rule adds both terms.
    np.testing.assert_allclose(z.tangent, np.array([1.0, 2.0]) * 1.0 + 3.0 * np.array([0.0, 1.0]))
    np.testing.assert_allclose(d["y"][0].primal, [1.0, 2.0])


def test_dual_tag_joins_existing_tag(manual_duals):
    a = dualrev.dual(3.0, 1.0)
    b = dualrev.dual(5.0, 2.0, tag=a.tag)
    c = dualrev.dual(5.0, 2.0)
    assert b.tag is a.tag
    assert c.tag is not a.tag
    ab = a * b
    np.testing.assert_allclose(ab.tangent, 1.0 * 5.0 + 3.0 * 2.0)


def test_dual_different_tags_do_not_mix(manual_duals):
    a = dualrev.dual(3.0, 1.0)
    c = dualrev.dual(5.0, 2.0)
    z = a * c
    # The newest tag (c's) is outermost; its tangent is a * 2, which carries a's tangent.
    assert z.tag is c.tag
    assert isinstance(z.primal, dualrev.Dual) and z.primal.tag is a.tag
    np.testing.assert_allclose(z.primal.primal, 15.0)
    np.testing.assert_allclose(z.primal.tangent, 5.0)      # d/da only
    t = z.tangent
    assert isinstance(t, dualrev.Dual) and t.tag is a.tag
    np.testing.assert_allclose(t.primal, 6.0)              # d/dc only: 3 * 2
    np.testing.assert_allclose(t.tangent, 2.0)             # mixed second-order term


def test_dual_through_numpy_ufunc_and_operators(manual_duals):
    d = dualrev.dual(np.array([0.5, 1.0]), np.array([1.0, 1.0]))
    y = np.exp(d) * 2.0 - d ** 2
    np.testing.assert_allclose(y.tangent, 2 * np.exp([0.5, 1.0]) - 2 * np.array([0.5, 1.0]))


# ----------------------------------------------------------------------------- NumPy interop

def test_numpy_ufunc_on_traced_routes_to_dnp_inside_grad():
    g = dualrev.grad(lambda x: np.sum(np.sin(x) * np.exp(x)))(np.array([0.1, 0.2]))
    x = np.array([0.1, 0.2])
    np.testing.assert_allclose(g, np.exp(x) * (np.sin(x) + np.cos(x)), rtol=1e-13)
    g0 = dualrev.grad(lambda x: np.sin(x))(0.3)
    np.testing.assert_allclose(g0, np.cos(0.3), rtol=1e-14)
    t = dualrev.jvp(lambda x: np.tanh(x), (0.3,), (1.0,))[1]
    np.testing.assert_allclose(t, 1 - np.tanh(0.3) ** 2, rtol=1e-14)


def test_comparisons_on_traced_values_return_plain_numpy_bools():
    seen = []

    def f(x):
        for c in (x > 0.0, x <= 0.5, x == x, dnp.greater(x, 0.2), np.less(x, 1.0), x != 0.1):
            seen.append(c)
        return dnp.sum(dnp.where(x > 0.15, x * x, -x))

    x = np.array([0.1, 0.2, 0.3])
    g = dualrev.grad(f)(x)
    np.testing.assert_allclose(g, [-1.0, 0.4, 0.6])
    dualrev.jvp(f, (x,), (np.ones(3),))
    assert len(seen) == 12
    for c in seen:
        assert not isinstance(c, Tracer)
        assert isinstance(c, np.ndarray) and c.dtype == np.bool_, type(c)
    np.testing.assert_array_equal(seen[0], [True, True, True])
    np.testing.assert_array_equal(seen[1], [True, True, True])
    np.testing.assert_array_equal(seen[3], [False, False, True])


def test_scalar_comparison_usable_in_python_if():
    def f(x):
        return x * x if x > 0 else -x
    np.testing.assert_allclose(dualrev.grad(f)(3.0), 6.0)
    np.testing.assert_allclose(dualrev.grad(f)(-3.0), -1.0)


# ----------------------------------------------------------------------------- memory

def test_tape_and_residuals_freed_after_grad():
    refs = []

    def f(x):
        refs.append(weakref.ref(x._trace))
        h = dnp.sin(x)
        refs.append(weakref.ref(h.primal))
        return dnp.sum(h * h)

    g = dualrev.grad(f)(np.ones(1000))
    assert np.shape(g) == (1000,)
    gc.collect()
    assert refs[0]() is None, "the tape outlived grad"
    assert refs[1]() is None, "a residual array outlived grad"


def test_tape_freed_without_cycle_collector():
    refs = []

    def f(x):
        refs.append(weakref.ref(x._trace))
        return dnp.sum(dnp.exp(x) * x)

    gc.disable()
    try:
        dualrev.grad(f)(np.ones(5))
        assert refs[0]() is None, "the tape is only freed by the cycle collector"
    finally:
        gc.enable()


def test_tape_lives_with_vjp_fn_and_dies_with_it():
    refs = []

    def f(x):
        refs.append(weakref.ref(x._trace))
        return dnp.sin(x) * x

    out, vjp_fn = dualrev.vjp(f, np.ones(3))
    gc.collect()
    assert refs[0]() is not None
    vjp_fn(np.ones(3))
    gc.collect()
    assert refs[0]() is not None
    del vjp_fn
    gc.collect()
    assert refs[0]() is None


def test_tape_kept_alive_by_escaped_var_only():
    """A closure keeping a Var keeps its tape; dropping it frees the tape."""
    kept = []
    refs = []

    def f(x):
        refs.append(weakref.ref(x._trace))
        y = x * 2.0
        kept.append(lambda: y)
        return dnp.sum(y)

    dualrev.grad(f)(np.ones(2))
    gc.collect()
    assert refs[0]() is not None
    kept.clear()
    gc.collect()
    assert refs[0]() is None


def test_results_hold_no_tracers():
    out, vjp_fn = dualrev.vjp(lambda x: {"a": x * 2.0, "b": [dnp.sum(x)]}, np.ones(2))
    for leaf in dualrev.tree_leaves(out) + dualrev.tree_leaves(vjp_fn({"a": np.ones(2), "b": [1.0]})):
        assert not isinstance(leaf, Tracer)
    for leaf in dualrev.tree_leaves(dualrev.jvp(lambda x: [x, x * 3.0], (1.0,), (1.0,))):
        assert not isinstance(leaf, Tracer)
