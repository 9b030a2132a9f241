"""Gradient checking: dualrev's derivatives against finite differences.

``check_grads`` follows ``jax.test_util.check_grads``: in forward mode it
compares JVPs with central differences along random directions; in reverse
mode it checks each VJP through the inner-product identity
``<vjp(w), v> == <w, J v>`` with ``J v`` by finite differences; and it
recurses to ``order`` by checking the JVP and VJP functions themselves.

Complex inputs and outputs get complex random directions, and the identity
uses JAX's pairing ``Re Σ a·b`` (the VJP is the transpose of the JVP).
"""
import numpy as np

from .api import jvp, vjp
from .tree import tree_flatten, tree_unflatten

_EPS = {np.dtype(np.float64): 1e-4, np.dtype(np.float32): 3e-3,
        np.dtype(np.complex128): 1e-4, np.dtype(np.complex64): 3e-3}
_TOL = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 2e-2,
        np.dtype(np.complex128): 1e-5, np.dtype(np.complex64): 2e-2}


def check_grads(f, args, order=2, modes=("fwd", "rev"), atol=None, rtol=None, eps=None):
    """Check f's derivatives up to ``order`` in the given modes; raise AssertionError if wrong.

    >>> check_grads(dnp.sin, (np.linspace(0, 1, 5),), order=2)
    """
    args = tuple(args)
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    bad = [m for m in modes if m not in ("fwd", "rev")]
    if bad:
        raise ValueError(f"check_grads: modes must be 'fwd' and/or 'rev', got {bad}")
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"check_grads: order must be a positive int, got {order!r}")
    rng = np.random.default_rng(0)
    _check(f, args, order, modes, atol, rtol, eps, rng, "f")


def _check(f, args, order, modes, atol, rtol, eps, rng, name):
    if "fwd" in modes:
        tangents = _random_like(args, rng)
        _check_jvp(f, args, tangents, atol, rtol, eps, name)
        if order > 1:
            def f_jvp(*primals_and_tangents):
                n = len(args)
                return jvp(f, primals_and_tangents[:n], primals_and_tangents[n:])[1]
            _check(f_jvp, args + tangents, order - 1, ("fwd",), atol, rtol, eps, rng,
                   f"jvp({name})")
    if "rev" in modes:
        out, pull = vjp(f, *args)
        ct = _random_like(out, rng)
        _check_vjp(f, args, out, pull, ct, atol, rtol, eps, rng, name)
        if order > 1:
            def f_vjp(*primals):
                return vjp(f, *primals)[1](ct)
            _check(f_vjp, args, order - 1, ("rev",), atol, rtol, eps, rng, f"vjp({name})")


def _random_like(tree, rng):
    leaves, td = tree_flatten(tree)
    return tree_unflatten(td, [_cast(_random(rng, x), x) for x in leaves])


def _random(rng, x):
    r = rng.standard_normal(np.shape(x))
    return r + 1j * rng.standard_normal(np.shape(x)) if _dtype(x).kind == "c" else r


def _cast(a, like):
    return np.asarray(a, dtype=_dtype(like))


def _dtype(x):
    dt = np.result_type(x)
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def _wide(x):
    """x in float64, or complex128 if complex (for comparisons)."""
    x = np.asarray(x)
    return x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)


def _numerical_jvp(f, args, tangents, eps):
    a_leaves, td = tree_flatten(args)
    t_leaves, _ = tree_flatten(tangents)
    if eps is None:
        eps = max((_EPS.get(_dtype(x), 1e-4) for x in a_leaves), default=1e-4)

    def at(sign):
        shifted = [np.asarray(x) + sign * eps * np.asarray(t) for x, t in zip(a_leaves, t_leaves)]
        shifted = [_cast(s, x) for s, x in zip(shifted, a_leaves)]
        return tree_flatten(f(*tree_unflatten(td, shifted)))[0]

    plus, minus = at(1.0), at(-1.0)
    return [(_wide(p) - _wide(m)) / (2 * eps) for p, m in zip(plus, minus)]


def _tols(leaves, atol, rtol):
    dts = [_dtype(x) for x in leaves] or [np.dtype(np.float64)]
    tol = max(_TOL.get(d, 1e-5) for d in dts)
    return (tol if atol is None else atol), (tol if rtol is None else rtol)


def _check_jvp(f, args, tangents, atol, rtol, eps, name):
    out, t_out = jvp(f, args, tangents)
    expected = _numerical_jvp(f, args, tangents, eps)
    got = tree_flatten(t_out)[0]
    at, rt = _tols(tree_flatten(args)[0], atol, rtol)
    for i, (g, e) in enumerate(zip(got, expected)):
        _assert_close(_wide(g), e, at, rt,
                      f"JVP of {name} (output leaf {i}) disagrees with central differences")


def _check_vjp(f, args, out, pull, ct, atol, rtol, eps, rng, name):
    tangents = _random_like(args, rng)
    cts_in = pull(ct)
    lhs = sum(_inner(a, b) for a, b in zip(tree_flatten(cts_in)[0], tree_flatten(tangents)[0]))
    jv = _numerical_jvp(f, args, tangents, eps)
    rhs = sum(_inner(a, b) for a, b in zip(tree_flatten(ct)[0], jv))
    at, rt = _tols(tree_flatten(args)[0], atol, rtol)
    _assert_close(lhs, rhs, at, rt,
                  f"VJP of {name} fails the adjoint identity <vjp(w), v> = <w, J v> "
                  f"(J v by central differences)")


def _inner(a, b):
    return float(np.real(np.sum(_wide(a) * _wide(b))))


def _assert_close(got, expected, atol, rtol, what):
    got, expected = _wide(got), _wide(expected)
    err = np.abs(got - expected)
    bound = atol + rtol * np.abs(expected)
    if not np.all(err <= bound):
        worst = np.unravel_index(np.argmax(err - bound), err.shape) if err.ndim else ()
        raise AssertionError(
            f"{what}: worst entry {worst}: got {got[worst]!r}, expected {expected[worst]!r} "
            f"(|diff| {err[worst]:.3g} > atol {atol:g} + rtol {rtol:g} * |expected|)")
