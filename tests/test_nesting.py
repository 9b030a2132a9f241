"""Nested transformations: perturbation confusion, higher-order derivatives,
Hessians in every forward/reverse combination."""
import functools
import itertools
import math
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dualrev
import dualrev.core
import dualrev.numpy as dnp
from dualrev.core import Tracer

jax.config.update("jax_enable_x64", True)


# ----------------------------------------------------------------------------- derivative operators
# Each turns a scalar function f into its derivative function x -> f'(x).

def d_grad(f):
    return dualrev.grad(f)


def d_jvp(f):
    return lambda x: dualrev.jvp(f, (x,), (1.0,))[1]


def d_vjp(f):
    def df(x):
        out, vjp_fn = dualrev.vjp(f, x)
        return vjp_fn(1.0)[0]
    return df


def d_jacfwd(f):
    return dualrev.jacfwd(f)


def d_jacrev(f):
    return dualrev.jacrev(f)


def d_linearize(f):
    return lambda x: dualrev.linearize(f, x)[1](1.0)


OPS = {"grad": d_grad, "jvp": d_jvp, "vjp": d_vjp, "jacfwd": d_jacfwd, "jacrev": d_jacrev}
FORWARD = {"jvp", "jacfwd"}
PAIRS = list(itertools.product(OPS, OPS))


def mode(name):
    return "fwd" if name in FORWARD else "rev"


def pair_id(p):
    outer, inner = p
    return f"{outer}[{mode(outer)}]-over-{inner}[{mode(inner)}]"


def test_pairs_cover_all_four_mode_combinations():
    combos = {(mode(o), mode(i)) for o, i in PAIRS}
    assert combos == {("fwd", "fwd"), ("fwd", "rev"), ("rev", "fwd"), ("rev", "rev")}


def as_float(x):
    assert not isinstance(x, Tracer), f"a traced value came out: {x!r}"
    assert np.shape(x) == (), np.shape(x)
    return float(np.asarray(x))


# ----------------------------------------------------------------------------- perturbation confusion

@pytest.mark.parametrize("outer,inner", PAIRS, ids=[pair_id(p) for p in PAIRS])
def test_confusion_x_times_d_dy_x_plus_y(outer, inner):
    D, Dy = OPS[outer], OPS[inner]
    # The inner derivative is evaluated at y = x and at a constant y.
    at_x = D(lambda x: x * Dy(lambda y: x + y)(x))
    at_const = D(lambda x: x * Dy(lambda y: x + y)(2.0))
    for x0 in (5.0, -1.5):
        assert as_float(at_x(x0)) == pytest.approx(1.0, abs=1e-14)
        assert as_float(at_const(x0)) == pytest.approx(1.0, abs=1e-14)


@pytest.mark.parametrize("outer,inner", PAIRS, ids=[pair_id(p) for p in PAIRS])
def test_confusion_x_times_d_dy_x_times_y(outer, inner):
    D, Dy = OPS[outer], OPS[inner]
    at_x = D(lambda x: x * Dy(lambda y: x * y)(x))
    at_const = D(lambda x: x * Dy(lambda y: x * y)(3.0))
    assert as_float(at_x(4.0)) == pytest.approx(8.0, rel=1e-14)
    assert as_float(at_const(4.0)) == pytest.approx(8.0, rel=1e-14)
    assert as_float(at_x(-0.5)) == pytest.approx(-1.0, rel=1e-14)


def test_confusion_grad_grad_literal():
    assert dualrev.grad(lambda x: x * dualrev.grad(lambda y: x + y)(x))(5.) == 1


@pytest.mark.parametrize("inner", ["grad", "jvp", "vjp", "linearize"])
def test_confusion_with_linearize(inner):
    Dy = d_linearize if inner == "linearize" else OPS[inner]
    assert as_float(d_linearize(lambda x: x * Dy(lambda y: x * y)(x))(4.0)) == pytest.approx(8.0)
    assert as_float(d_grad(lambda x: x * Dy(lambda y: x + y)(x))(4.0)) == pytest.approx(1.0)


@pytest.mark.parametrize("outer,inner", PAIRS, ids=[pair_id(p) for p in PAIRS])
def test_confusion_inner_result_depends_on_outer_nonlinearly(outer, inner):
    # d/dx [ sin(x) * d/dy (exp(x*y)) at y=1 ] = d/dx [sin(x) * x * exp(x)]
    D, Dy = OPS[outer], OPS[inner]
    f = D(lambda x: dnp.sin(x) * Dy(lambda y: dnp.exp(x * y))(1.0))
    x0 = 0.7
    expected = math.exp(x0) * (math.cos(x0) * x0 + math.sin(x0) * (1 + x0))
    assert as_float(f(x0)) == pytest.approx(expected, rel=1e-13)


def test_confusion_three_levels():
    # d/dx [ x * d/dy [ y * d/dz (x + y + z) ] ] = d/dx [x * 1] = 1, for every op mix.
    for a, b, c in [("grad", "jvp", "vjp"), ("jacfwd", "grad", "jacrev"), ("jvp", "jvp", "grad"),
                    ("vjp", "jacfwd", "jvp"), ("jacrev", "jacrev", "jacrev")]:
        Dx, Dy, Dz = OPS[a], OPS[b], OPS[c]
        f = Dx(lambda x: x * Dy(lambda y: y * Dz(lambda z: x + y + z)(x))(x))
        assert as_float(f(2.0)) == pytest.approx(1.0), (a, b, c)
        # d/dx [ x * d/dy [ y * d/dz (x*y*z) ] ] = d/dx [x * 2*x*y|_{y=x}] = d/dx 2x^3 = 6x^2
        g = Dx(lambda x: x * Dy(lambda y: y * Dz(lambda z: x * y * z)(1.0))(x))
        assert as_float(g(2.0)) == pytest.approx(24.0), (a, b, c)


def test_confusion_with_manual_duals(manual_duals):
    # Two independently tagged duals: each tangent only sees its own perturbation.
    x = dualrev.dual(4.0, 1.0)
    inner = lambda x: dualrev.dual(3.0, 1.0) * x        # d/dy (y*x) carried on a new tag
    z = inner(x)
    assert z.tag is not x.tag
    # d/dy of (y*x) is x (a dual of x's tag), whose own tangent is 1.
    dy = z.tangent
    assert isinstance(dy, dualrev.Dual) and dy.tag is x.tag
    assert float(dy.primal) == 4.0 and float(dy.tangent) == 1.0
    w = x * dy                          # x * d/dy(x*y) = x^2, tangent 2x = 8
    assert float(w.tangent) == 8.0


# ----------------------------------------------------------------------------- higher order

def poly(x):
    return 3 * x ** 5 - 2 * x ** 3 + 0.5 * x * x - 7 * x + 1


SCALAR_FUNS = {
    "exp": (dnp.exp,
            [math.exp, math.exp, math.exp, math.exp, math.exp]),
    "sin": (dnp.sin,
            [math.sin, math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x), math.sin]),
    "poly": (poly,
             [lambda x: 3 * x ** 5 - 2 * x ** 3 + 0.5 * x * x - 7 * x + 1,
              lambda x: 15 * x ** 4 - 6 * x ** 2 + x - 7,
              lambda x: 60 * x ** 3 - 12 * x + 1,
              lambda x: 180 * x ** 2 - 12,
              lambda x: 360 * x]),
}
POINTS = (0.7, -1.3)

CHAINS3 = list(itertools.product(OPS, repeat=3))
CHAINS4 = list(itertools.product(OPS, repeat=4))


def apply_chain(f, chain):
    for name in chain:
        f = OPS[name](f)
    return f


@pytest.mark.parametrize("chain", CHAINS3, ids=["-".join(c) for c in CHAINS3])
def test_third_derivatives(chain):
    for name, (f, derivs) in SCALAR_FUNS.items():
        d3 = apply_chain(f, chain)
        for x0 in POINTS:
            assert as_float(d3(x0)) == pytest.approx(derivs[3](x0), rel=1e-12, abs=1e-12), (name, x0)


@pytest.mark.parametrize("chain", CHAINS4, ids=["-".join(c) for c in CHAINS4])
def test_fourth_derivatives(chain):
    for name, (f, derivs) in SCALAR_FUNS.items():
        d4 = apply_chain(f, chain)
        x0 = POINTS[0]
        assert as_float(d4(x0)) == pytest.approx(derivs[4](x0), rel=1e-12, abs=1e-12), name


@pytest.mark.parametrize("name", list(SCALAR_FUNS))
def test_all_orders_by_repeated_grad_and_jvp(name):
    f, derivs = SCALAR_FUNS[name]
    g, j = f, f
    for k in range(1, 5):
        g = dualrev.grad(g)
        j = d_jvp(j)
        for x0 in POINTS:
            assert as_float(g(x0)) == pytest.approx(derivs[k](x0), rel=1e-12, abs=1e-12), k
            assert as_float(j(x0)) == pytest.approx(derivs[k](x0), rel=1e-12, abs=1e-12), k


@pytest.mark.parametrize("chain", [("linearize", "grad", "jvp"), ("grad", "linearize", "jacfwd"),
                                   ("linearize", "linearize", "linearize"),
                                   ("jvp", "vjp", "linearize", "jacrev")])
def test_higher_order_with_linearize(chain):
    for name, (f, derivs) in SCALAR_FUNS.items():
        for op in chain:
            f = d_linearize(f) if op == "linearize" else OPS[op](f)
        assert as_float(f(POINTS[0])) == pytest.approx(derivs[len(chain)](POINTS[0]), rel=1e-12), name


def test_third_derivative_vector_function_vs_jax():
    def f(m):
        return lambda x: m.sum(m.sin(x) * m.exp(x[::-1]))
    x = np.array([0.3, -0.4, 1.1])
    ref = jax.jit(jax.jacfwd(jax.jacfwd(jax.jacrev(f(jnp)))))(jnp.asarray(x))
    for outer, mid, inner in [("jacfwd", "jacfwd", "jacrev"), ("jacrev", "jacfwd", "jacrev"),
                              ("jacrev", "jacrev", "jacrev"), ("jacfwd", "jacrev", "jacfwd")]:
        ours = getattr(dualrev, outer)(getattr(dualrev, mid)(getattr(dualrev, inner)(f(dnp))))(x)
        assert np.shape(ours) == (3, 3, 3)
        np.testing.assert_allclose(ours, ref, rtol=1e-11, atol=1e-13)


def test_mixed_partials_with_argnums():
    # f(x, y) = sin(x*y) + x^3 y^2
    f = lambda x, y: dnp.sin(x * y) + x ** 3 * y ** 2
    x0, y0 = 0.6, -1.2
    dxy = dualrev.grad(dualrev.grad(f, argnums=0), argnums=1)(x0, y0)
    dyx = dualrev.grad(dualrev.grad(f, argnums=1), argnums=0)(x0, y0)
    expected = math.cos(x0 * y0) - x0 * y0 * math.sin(x0 * y0) + 6 * x0 ** 2 * y0
    assert as_float(dxy) == pytest.approx(expected, rel=1e-13)
    assert as_float(dyx) == pytest.approx(expected, rel=1e-13)
    # d^3/dx^2 dy, forward over reverse over reverse
    dxxy = dualrev.jacfwd(dualrev.grad(dualrev.grad(f, argnums=0), argnums=1), argnums=0)(x0, y0)
    exp3 = (-2 * y0 * math.sin(x0 * y0) - x0 * y0 ** 2 * math.cos(x0 * y0)
            + 12 * x0 * y0)
    assert as_float(dxxy) == pytest.approx(exp3, rel=1e-12)


# ----------------------------------------------------------------------------- Hessians vs JAX

A = np.array([[1.0, -0.5, 0.2], [0.3, 2.0, -1.0], [0.0, 0.7, 1.5]])
B = np.array([0.4, -0.2, 0.9])


def hess_funs(m):
    return {
        "quadratic_matmul": (lambda x: x @ (A @ x) + m.sum(x), (np.array([0.1, -0.3, 0.8]),)),
        "tanh_layer": (lambda x: m.sum(m.tanh(A @ x + B) ** 2), (np.array([0.5, -0.2, 0.3]),)),
        "broadcast": (lambda x: m.sum(m.sin(x[:, None] * x[None, :]) * B + x[:, None] / 3.0),
                      (np.array([0.2, 0.9, -0.4]),)),
        "matrix_input": (lambda W: m.sum(m.tanh(W @ B) * (W @ B)) + m.sum(W ** 3),
                         (np.array([[0.1, 0.2, -0.3], [0.5, -0.4, 0.6]]),)),
        "mixed_exp_prod": (lambda x: m.exp(m.sum(x * B)) * m.prod(x) + m.sum(m.cos(x)),
                           (np.array([0.3, 0.6, -0.2]),)),
        "two_args": (lambda x, y: m.sum(m.tanh(x[:, None] * y[None, :] + A[:, :2])) * m.sum(x * x),
                     (np.array([0.1, 0.4, -0.6]), np.array([0.7, -0.9]))),
    }


HESS = list(hess_funs(dnp))
JAC_COMBOS = [("jacfwd", "jacfwd"), ("jacfwd", "jacrev"), ("jacrev", "jacfwd"), ("jacrev", "jacrev")]


@pytest.mark.parametrize("case", HESS)
def test_hessian_vs_jax(case):
    f, args = hess_funs(dnp)[case]
    rf, _ = hess_funs(jnp)[case]
    argnums = tuple(range(len(args))) if len(args) > 1 else 0
    H = dualrev.hessian(f, argnums=argnums)(*args)
    RH = jax.jit(jax.hessian(rf, argnums=argnums))(*args)
    for h, rh in zip(dualrev.tree_leaves(H), jax.tree_util.tree_leaves(RH)):
        assert np.shape(h) == rh.shape
        np.testing.assert_allclose(h, rh, rtol=1e-11, atol=1e-13)
    assert len(dualrev.tree_leaves(H)) == len(jax.tree_util.tree_leaves(RH))
    if len(args) > 1:
        assert isinstance(H, tuple) and all(isinstance(r, tuple) and len(r) == 2 for r in H)


@functools.lru_cache(maxsize=None)
def jax_hessian_of(case):
    rf, args = hess_funs(jnp)[case]
    return np.asarray(jax.jit(jax.hessian(rf))(*args))


@pytest.mark.parametrize("outer,inner", JAC_COMBOS)
@pytest.mark.parametrize("case", HESS)
def test_hessian_all_jacobian_combinations(case, outer, inner):
    f, args = hess_funs(dnp)[case]
    ref = jax_hessian_of(case)
    H = getattr(dualrev, outer)(getattr(dualrev, inner)(f))(*args)
    np.testing.assert_allclose(H, ref, rtol=1e-11, atol=1e-13)


def _hvp_variants(f, x, v):
    return {
        "fwd-over-rev": dualrev.jvp(dualrev.grad(f), (x,), (v,))[1],
        "rev-over-rev": dualrev.grad(lambda y: dnp.sum(dualrev.grad(f)(y) * v))(x),
        "rev-over-fwd": dualrev.grad(lambda y: dualrev.jvp(f, (y,), (v,))[1])(x),
        "fwd-over-fwd": dualrev.jacfwd(lambda y: dualrev.jvp(f, (y,), (v,))[1])(x),
        "vjp-over-vjp": dualrev.vjp(lambda y: dualrev.vjp(f, y)[1](1.0)[0], x)[1](v)[0],
        "hvp": dualrev.hvp(f, (x,), (v,)),
        "linearize-of-grad": dualrev.linearize(dualrev.grad(f), x)[1](v),
    }


@pytest.mark.parametrize("case", [c for c in HESS if c != "two_args"])
def test_hvp_every_mode_vs_jax(case):
    f, (x,) = hess_funs(dnp)[case]
    rf, _ = hess_funs(jnp)[case]
    v = np.linspace(-1.0, 1.0, x.size).reshape(x.shape)
    ref = jax.jit(lambda x, v: jax.jvp(jax.grad(rf), (x,), (v,))[1])(x, v)
    for name, r in _hvp_variants(f, x, v).items():
        assert not isinstance(r, Tracer), name
        assert np.shape(r) == x.shape, name
        np.testing.assert_allclose(r, ref, rtol=1e-11, atol=1e-13, err_msg=name)


def test_grad_of_vjp_fn_output():
    # The pullback itself is differentiable: d/dx [vjp_fn(1)] of sin(x)*x.
    def dfdx(x):
        out, vjp_fn = dualrev.vjp(lambda t: dnp.sin(t) * t, x)
        return vjp_fn(1.0)[0]
    x0 = 0.9
    assert as_float(dualrev.grad(dfdx)(x0)) == pytest.approx(
        2 * math.cos(x0) - x0 * math.sin(x0), rel=1e-13)


def test_closure_over_outer_tracer_in_inner_jacobian():
    # jacobian of y -> x * y (x closed over) is x * I; outer derivative of its trace is n.
    def tr(x):
        J = dualrev.jacrev(lambda y: x * y)(np.ones(3))
        return dnp.sum(J * np.eye(3))
    for D in (dualrev.grad, dualrev.jacfwd, d_jvp):
        assert as_float(D(tr)(2.0)) == pytest.approx(3.0)


# ----------------------------------------------------------------------------- fresh interpreter
# Global state (e.g. a manual dual tag, which never closes) can change which
# code paths later transformations take, so the core nesting checks also run
# in a new interpreter where no other test has run first.

_FRESH_SCRIPT = r"""
import itertools, math
import numpy as np
import dualrev
import dualrev.numpy as dnp

ops = {
    "grad": dualrev.grad,
    "jvp": lambda f: (lambda x: dualrev.jvp(f, (x,), (1.0,))[1]),
    "vjp": lambda f: (lambda x: dualrev.vjp(f, x)[1](1.0)[0]),
    "jacfwd": dualrev.jacfwd,
    "jacrev": dualrev.jacrev,
    "linearize": lambda f: (lambda x: dualrev.linearize(f, x)[1](1.0)),
}
for (a, A), (b, B) in itertools.product(ops.items(), repeat=2):
    r1 = float(np.asarray(A(lambda x: x * B(lambda y: x + y)(x))(5.0)))
    r2 = float(np.asarray(A(lambda x: x * B(lambda y: x * y)(3.0))(4.0)))
    assert abs(r1 - 1.0) < 1e-12, (a, b, r1)
    assert abs(r2 - 8.0) < 1e-12, (a, b, r2)

for chain in itertools.product(["grad", "jvp", "jacfwd", "vjp"], repeat=3):
    f = dnp.sin
    for c in chain:
        f = ops[c](f)
    r = float(np.asarray(f(0.7)))
    assert abs(r + math.cos(0.7)) < 1e-12, (chain, r)

A = np.array([[1.0, 0.5], [-0.3, 2.0]])
f = lambda x: dnp.sum(dnp.tanh(A @ x) * x)
x = np.array([0.2, -0.4])
hs = [dualrev.jacfwd(dualrev.jacrev(f))(x), dualrev.jacrev(dualrev.jacrev(f))(x),
      dualrev.jacrev(dualrev.jacfwd(f))(x), dualrev.jacfwd(dualrev.jacfwd(f))(x),
      dualrev.hessian(f)(x)]
eps = 1e-6
fd = np.stack([(dualrev.grad(f)(x + eps * e) - dualrev.grad(f)(x - eps * e)) / (2 * eps)
               for e in np.eye(2)], axis=1)
for h in hs:
    assert np.allclose(h, fd, rtol=1e-6, atol=1e-8), (h, fd)

g32 = dualrev.grad(lambda x: dnp.sum(dnp.exp(x) * x * 2.0))(np.ones(3, np.float32))
assert g32.dtype == np.float32, g32.dtype

box = []
dualrev.grad(lambda x: (box.append(x * 2.0), dnp.sum(x))[1])(np.ones(2))
for use in (lambda: dnp.sin(box[0]), lambda: dualrev.grad(lambda y: dnp.sum(y * box[0]))(np.ones(2)),
            lambda: dualrev.jvp(lambda y: y + box[0], (np.ones(2),), (np.ones(2),))):
    try:
        use()
    except dualrev.EscapedTracerError:
        pass
    else:
        raise AssertionError("escaped tracer not detected")
print("FRESH-OK")
"""


def test_core_nesting_checks_in_fresh_interpreter():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", _FRESH_SCRIPT], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "FRESH-OK" in proc.stdout, proc.stdout + proc.stderr
