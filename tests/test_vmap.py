"""dualrev.vmap against jax.vmap: the API, nesting, compositions with every
transformation, perturbation confusion, per-example gradients, data-dependent
masks, batched indices, chunked Jacobians, dtypes and errors.

Most tests write one function ``fn(m, ad)`` for both libraries (``m`` is
``dualrev.numpy`` or ``jax.numpy``, ``ad`` is ``dualrev`` or ``jax``) and compare
what each returns.
"""
import collections

import numpy as np
import pytest

from dualrev.nn import functional as F
from helpers import AD, assert_tree_close, dnp, dualrev, jax, jnp, to_numpy

F32 = np.float32
RNG = np.random.default_rng(20240611)


def _normal(*shape):
    return RNG.normal(size=shape)


def same(ours, theirs, **kw):
    """The two results have one pytree structure and close leaves of one dtype."""
    o_leaves, o_tree = jax.tree_util.tree_flatten(ours)
    t_leaves, t_tree = jax.tree_util.tree_flatten(theirs)
    assert o_tree == t_tree, f"structure {o_tree} != {t_tree}"
    assert_tree_close([to_numpy(x) for x in o_leaves], [np.asarray(x) for x in t_leaves], **kw)


def both(fn, **kw):
    """``fn(m, ad)`` run with dualrev and with JAX (jitted: one compilation costs less
    than JAX's op-by-op dispatch): the results agree."""
    same(fn(dnp, dualrev), jax.jit(lambda: fn(jnp, jax))(), **kw)


def take(m, x, idx):
    """``x[idx]`` in either library (a plain NumPy x indexed by a traced index)."""
    return dnp.getitem(x, idx) if m is dnp else jnp.asarray(x)[idx]


def relu(m, x):
    return F.relu(x) if m is dnp else jax.nn.relu(x)


def log_softmax(m, x):
    return F.log_softmax(x, -1) if m is dnp else jax.nn.log_softmax(x, -1)


# ============================================================================ in_axes, out_axes

X = _normal(3, 4)
Y = _normal(4, 3)
Z = _normal(3, 4, 2)
S = _normal(4)
P = collections.namedtuple("P", "a b")

API = {
    # in_axes
    "int_0": lambda m, ad: ad.vmap(lambda a, b: a * b + m.sin(a))(X, Y.T),
    "int_1": lambda m, ad: ad.vmap(lambda a: m.sum(a ** 2, axis=-1), in_axes=1)(Z),
    "int_minus_1": lambda m, ad: ad.vmap(lambda a: a @ a.T, in_axes=-1)(Z),
    "int_minus_2": lambda m, ad: ad.vmap(lambda a: m.exp(a), in_axes=-2)(Z),
    "tuple_with_none": lambda m, ad: ad.vmap(lambda a, s: a @ s, in_axes=(0, None))(X, S),
    "tuple_mixed_axes": lambda m, ad: ad.vmap(lambda a, b, c: a * b + c[:, 0], in_axes=(0, 1, -1))(
        X, Y, Z.transpose(1, 2, 0)),
    "dict_prefix": lambda m, ad: ad.vmap(
        lambda p, a: m.tanh(a @ p["w"] + p["b"]), in_axes=({"w": None, "b": 0}, 1))(
        {"w": Y, "b": X[:, :3]}, Y),
    "dict_whole": lambda m, ad: ad.vmap(lambda p: p["u"] * p["v"], in_axes=({"u": 0, "v": 0},))(
        {"u": X, "v": X ** 2}),
    "dict_int_for_subtree": lambda m, ad: ad.vmap(lambda p: p["u"] - p["v"], in_axes=(1,))(
        {"u": Y, "v": Y * 3}),
    "list_inside_tuple": lambda m, ad: ad.vmap(lambda l, s: l[0] * l[1] * s, in_axes=([0, None], None))(
        [X, S], 2.0),
    "nested_tuple_prefix": lambda m, ad: ad.vmap(lambda t: t[0][0] + t[0][1] * t[1],
                                                 in_axes=(((0, -1), None),))(((X, Y), S)),
    "namedtuple": lambda m, ad: ad.vmap(lambda p: p.a * p.b, in_axes=(P(0, 1),))(P(X, Y)),
    "list_in_axes_is_a_tuple": lambda m, ad: ad.vmap(lambda a, s: a * s, in_axes=[0, None])(X, S),
    "kwargs_batched_along_0": lambda m, ad: ad.vmap(lambda a, *, b: a * b, in_axes=(None,))(S, b=X),
    "kwargs_tree": lambda m, ad: ad.vmap(lambda a, *, d: a + d["x"] * d["y"], in_axes=(1,))(
        Y, d={"x": X, "y": X[:, ::-1]}),
    # out_axes
    "out_1": lambda m, ad: ad.vmap(lambda a: m.outer(a, a), out_axes=1)(X),
    "out_minus_1": lambda m, ad: ad.vmap(lambda a: m.outer(a, a), out_axes=-1)(X),
    "out_minus_2": lambda m, ad: ad.vmap(lambda a: a[:, None] * a, out_axes=-2)(X),
    "out_tuple": lambda m, ad: ad.vmap(lambda a: (a, m.sum(a)), out_axes=(1, 0))(X),
    "out_none_for_unbatched": lambda m, ad: ad.vmap(lambda a, s: (a * s, s * 2.0), in_axes=(0, None),
                                                    out_axes=(0, None))(X, S),
    "out_dict_prefix": lambda m, ad: ad.vmap(lambda a: {"p": m.outer(a, a), "q": [a, a * 2]},
                                             out_axes={"p": 2, "q": [0, -1]})(X),
    "out_int_for_tree": lambda m, ad: ad.vmap(lambda a: {"p": a, "q": (a * 2, m.sum(a))},
                                              out_axes=-1)(X),
    "out_namedtuple": lambda m, ad: ad.vmap(lambda a: P(a, a * 2), out_axes=P(1, 0))(X),
    # outputs that do not depend on the batch are broadcast along it
    "unbatched_constant": lambda m, ad: ad.vmap(lambda a: np.ones(2))(X),
    "unbatched_constant_axis_1": lambda m, ad: ad.vmap(lambda a: np.arange(6.0).reshape(2, 3),
                                                       out_axes=1)(X),
    "unbatched_argument": lambda m, ad: ad.vmap(lambda a, s: (a, s), in_axes=(0, None),
                                                out_axes=(0, -1))(X, S),
    "unbatched_python_float": lambda m, ad: ad.vmap(lambda a: (a, 2.5))(X),
    "axis_size_nothing_batched": lambda m, ad: ad.vmap(lambda s: m.sin(s) * 2.0, in_axes=None,
                                                       axis_size=3)(S),
    "axis_size_nothing_batched_out_1": lambda m, ad: ad.vmap(lambda s: m.outer(s, s), in_axes=None,
                                                             axis_size=2, out_axes=1)(S),
    "axis_size_matching": lambda m, ad: ad.vmap(lambda a: a * 2, axis_size=3)(X),
    "empty_batch": lambda m, ad: ad.vmap(lambda a: m.sin(a) @ a)(np.ones((0, 3))),
    "identity": lambda m, ad: ad.vmap(lambda a: a, in_axes=1, out_axes=-1)(Z),
    # nested vmap, different axes
    "nested_2": lambda m, ad: ad.vmap(ad.vmap(lambda a, b: a * b, in_axes=(0, None)),
                                      in_axes=(1, 0))(Z, Y[:, :2]),
    "nested_out_axes": lambda m, ad: ad.vmap(ad.vmap(lambda a: m.outer(a, a), in_axes=1, out_axes=-1),
                                             in_axes=2, out_axes=1)(Z),
    "nested_3": lambda m, ad: ad.vmap(ad.vmap(ad.vmap(lambda a, b: m.sin(a) * b, in_axes=(0, None)),
                                              in_axes=(1, 0)), in_axes=(2, None), out_axes=-1)(
        Z, _NESTED_B),
    "nested_inner_axis_size": lambda m, ad: ad.vmap(
        lambda a: ad.vmap(lambda: m.sum(a), in_axes=(), axis_size=2)())(X),
}
_NESTED_B = _normal(4, 3)


@pytest.mark.parametrize("name", list(API))
def test_api_as_jax(name):
    both(API[name])


def test_kwargs_batched_and_in_axes_tuple_for_positional_only():
    ours = dualrev.vmap(lambda a, b=None: a + b, in_axes=(1,))(Y, b=X)
    theirs = jax.vmap(lambda a, b=None: a + b, in_axes=(1,))(Y, b=X)
    same(ours, theirs)


def test_wraps_the_function():
    def loss(x):
        """doc"""
        return x
    v = dualrev.vmap(loss)
    assert v.__name__ == "loss" and v.__doc__ == "doc"


def test_each_primitive_runs_once_for_the_batch(monkeypatch):
    """A program under vmap calls each implementation as often for 2 examples as for 50."""
    calls = collections.Counter()
    for name, prim in dualrev.core.registry.items():
        def spy(*a, _impl=prim.impl, _name=name, **k):
            calls[_name] += 1
            return _impl(*a, **k)
        monkeypatch.setattr(prim, "impl", spy)

    def program(w, x, y):
        h = F.relu(x @ w[0] + 1.0)
        logp = log_softmax(dnp, dnp.tanh(h) @ w[1])
        return -dnp.getitem(logp, y) + dnp.max(h) * dnp.prod(x[:2])
    w = (_normal(4, 5), _normal(5, 3))
    counts = []
    for n in (2, 50):
        calls.clear()
        xs, ys = _normal(n, 4), np.arange(n) % 3
        dualrev.vmap(dualrev.grad(program), in_axes=(None, 0, 0))(w, xs, ys)
        dualrev.vmap(dualrev.hessian(program, 1), in_axes=(None, 0, 0))(w, xs, ys)
        counts.append(dict(calls))
    assert counts[0] == counts[1]


# ============================================================================ NumPy's functions

NX3 = _normal(3, 4, 5)      # no ties: NumPy's and JAX's argsort agree
NONDIFF = {
    "argmax": lambda m: lambda a: m.argmax(a),
    "argmax_axis": lambda m: lambda a: m.argmax(a, axis=-1),
    "argmax_positional_axis": lambda m: lambda a: m.argmax(a, 0),
    "argmax_keepdims": lambda m: lambda a: m.argmax(a, keepdims=True),
    "argmin_axis_keepdims": lambda m: lambda a: m.argmin(a, axis=1, keepdims=True),
    "argsort_default_last_axis": lambda m: lambda a: m.argsort(a),
    "argsort_axis_0": lambda m: lambda a: m.argsort(a, 0),
    "argsort_flat": lambda m: lambda a: m.argsort(a, axis=None),
    "all": lambda m: lambda a: m.all(a > -3),
    "all_positional_axis": lambda m: lambda a: m.all(a > 0, 1),
    "any_axes_keepdims": lambda m: lambda a: m.any(a > 1, axis=(0, 1), keepdims=True),
    "isclose": lambda m: lambda a: m.isclose(a, a * 1.0000000001),
    "allclose": lambda m: lambda a: m.allclose(a, a[0]),
    "sign_floor_round": lambda m: lambda a: m.sign(a) * m.floor(a * 3) + m.round(a, 2),
    "zeros_like": lambda m: lambda a: m.zeros_like(a) + a,
    "shape_ndim_size": lambda m: lambda a: a * m.ndim(a) * m.size(a) * m.shape(a)[0],
    "logical": lambda m: lambda a: m.where(m.logical_and(a > 0, m.logical_not(a > 1)), a, 0.0),
    "isfinite": lambda m: lambda a: m.where(m.isfinite(1.0 / a), a, 1.0),
    "stack_with_constant": lambda m: lambda a: m.stack([a, a * 2, np.ones((4, 5))], axis=-1),
    "concatenate_flat": lambda m: lambda a: m.concatenate([a, np.ones((2, 5))], axis=None),
    "array_of_a_list": lambda m: lambda a: m.array([a[0, 0], a[1, 1] * 2, 3.0]),
    "moveaxis": lambda m: lambda a: m.moveaxis(a[None], [0, 1], [-1, 0]),
    "dot_3d": lambda m: lambda a: m.dot(a[None], np.ones((5, 2))),
    "einsum_ellipsis": lambda m: lambda a: m.einsum("...ij,...kj->...ik", a, a),
    "len_and_iteration": lambda m: lambda a: sum(r * i for i, r in enumerate(a)) + len(a),
    "astype_int": lambda m: lambda a: a.astype(np.int64) * 1.5,
}


@pytest.mark.parametrize("name", list(NONDIFF))
def test_numpy_functions_on_batched_values(name):
    both(lambda m, ad: ad.vmap(NONDIFF[name](m))(m.asarray(NX3)))


# ============================================================================ compositions

R = _normal(3, 4)
XB = _normal(3, 4) * 0.8          # a batch of 3 examples of shape (4,)
VB = _normal(3, 4)                # tangents
CB = _normal(3, 4)                # cotangents of per-example gradients
X3 = _normal(2, 3, 4) * 0.8       # a batch of batches


def f_plain(m, ad):
    """R^4 -> R, smooth, mixing elements."""
    return lambda x: m.sum(m.tanh(x) * m.sin(x[::-1]) ** 2) + m.prod(x[:2]) + m.max(x * x)


def f_inner_vmap(m, ad):
    """R^4 -> R with a vmap inside, over rows of a constant."""
    return lambda x: m.sum(ad.vmap(lambda r: m.sin(r @ x) * (r @ x))(R)) + m.sum(x ** 3) / 3


def _sum(m, f):
    return lambda *a: m.sum(f(*a))


COMPOSITIONS = {
    "vmap(grad)": lambda m, ad, f: ad.vmap(ad.grad(f))(XB),
    "grad(vmap)": lambda m, ad, f: ad.grad(_sum(m, ad.vmap(f)))(XB),
    "jacfwd(vmap)": lambda m, ad, f: ad.jacfwd(ad.vmap(f))(XB),
    "jacrev(vmap)": lambda m, ad, f: ad.jacrev(ad.vmap(f))(XB),
    "vmap(jacfwd(grad))": lambda m, ad, f: ad.vmap(ad.jacfwd(ad.grad(f)))(XB),
    "vmap(jacrev(grad))": lambda m, ad, f: ad.vmap(ad.jacrev(ad.grad(f)))(XB),
    "vmap(hessian)": lambda m, ad, f: ad.vmap(ad.hessian(f))(XB),
    "hessian(vmap)": lambda m, ad, f: ad.hessian(_sum(m, ad.vmap(f)))(XB),
    "vmap(vmap(grad))": lambda m, ad, f: ad.vmap(ad.vmap(ad.grad(f)))(X3),
    "vmap(vmap(grad))_axes": lambda m, ad, f: ad.vmap(ad.vmap(ad.grad(f), out_axes=1), in_axes=1,
                                                      out_axes=-1)(X3.transpose(1, 0, 2)),
    "grad(vmap(grad))": lambda m, ad, f: ad.grad(lambda xs: m.sum(ad.vmap(ad.grad(f))(xs) ** 2))(XB),
    "vmap(jvp)": lambda m, ad, f: ad.vmap(lambda x, v: ad.jvp(f, (x,), (v,)))(XB, VB),
    "jvp(vmap)": lambda m, ad, f: ad.jvp(ad.vmap(f), (XB,), (VB,)),
    "vjp(vmap(grad))": lambda m, ad, f: ad.vjp(ad.vmap(ad.grad(f)), XB)[1](CB),
    "vmap(vjp(grad))": lambda m, ad, f: ad.vmap(lambda x, c: ad.vjp(ad.grad(f), x)[1](c))(XB, CB),
    "vmap(pullback)": lambda m, ad, f: ad.vmap(ad.vjp(ad.grad(f), XB[0])[1])(CB),
    "linearize(vmap(grad))": lambda m, ad, f: ad.linearize(ad.vmap(ad.grad(f)), XB)[1](VB),
    "vmap(linearize(grad))": lambda m, ad, f: ad.vmap(
        lambda x, v: ad.linearize(ad.grad(f), x)[1](v))(XB, VB),
    "value_and_grad(vmap)": lambda m, ad, f: ad.value_and_grad(_sum(m, ad.vmap(f)))(XB),
    "vmap(value_and_grad)": lambda m, ad, f: ad.vmap(ad.value_and_grad(f))(XB),
    "grad(vmap)_in_axes_1": lambda m, ad, f: ad.grad(_sum(m, ad.vmap(f, in_axes=1)))(XB.T),
    # depth 3 and more
    "jacfwd(vmap(grad))": lambda m, ad, f: ad.jacfwd(ad.vmap(ad.grad(f)))(XB),
    "jacrev(vmap(grad))": lambda m, ad, f: ad.jacrev(ad.vmap(ad.grad(f)))(XB),
    "grad(vmap(hessian))": lambda m, ad, f: ad.grad(lambda xs: m.sum(ad.vmap(ad.hessian(f))(xs)))(XB),
    "vmap(jacrev(vmap))": lambda m, ad, f: ad.vmap(ad.jacrev(ad.vmap(f)))(X3),
    "vmap(grad(vmap(grad)))": lambda m, ad, f: ad.vmap(ad.grad(
        lambda xs: m.sum(ad.vmap(ad.grad(f))(xs) ** 2)))(X3),
    "vmap(vmap(hessian))": lambda m, ad, f: ad.vmap(ad.vmap(ad.hessian(f)))(X3),
    "hessian(vmap(vmap))": lambda m, ad, f: ad.hessian(
        lambda xs: m.sum(ad.vmap(ad.vmap(f))(xs)))(X3[:, :2]),
    "jacrev(vmap(jvp))": lambda m, ad, f: ad.jacrev(ad.vmap(
        lambda x, v: ad.jvp(ad.grad(f), (x,), (v,))[1]))(XB, VB),
    "jvp(vmap(vjp))": lambda m, ad, f: ad.jvp(ad.vmap(
        lambda x: ad.vjp(f, x)[1](1.0)[0]), (XB,), (VB,)),
    "vmap(jacfwd(vmap(grad)))": lambda m, ad, f: ad.vmap(ad.jacfwd(ad.vmap(ad.grad(f))))(X3),
    "vmap(hessian(vmap))": lambda m, ad, f: ad.vmap(ad.hessian(_sum(m, ad.vmap(f))))(X3),
    "grad(vmap(grad(vmap(grad))))": lambda m, ad, f: ad.grad(lambda xss: m.sum(ad.vmap(ad.grad(
        lambda xs: m.sum(ad.vmap(ad.grad(f))(xs) ** 2)))(xss) ** 2))(X3),
}
BASES = {"plain": f_plain, "inner_vmap": f_inner_vmap}


@pytest.mark.parametrize("base", list(BASES))
@pytest.mark.parametrize("comp", list(COMPOSITIONS))
def test_composition(comp, base):
    both(lambda m, ad: COMPOSITIONS[comp](m, ad, BASES[base](m, ad)), rtol=1e-8, atol=1e-10)


# ============================================================================ perturbation confusion

XS = np.array([0.5, -1.25, 2.0])
YS = np.array([1.5, -0.5, 0.25, 3.0])

CONFUSION = {
    # A batched value of an outer vmap is a constant inside an inner one.
    "outer_batched_constant_in_inner": lambda m, ad: ad.vmap(
        lambda x: ad.vmap(lambda y: m.sin(x) * y + x)(YS))(XS),
    # The inner vmap maps over the outer's own value.
    "inner_maps_over_outer_value": lambda m, ad: ad.vmap(
        lambda x: ad.vmap(lambda y: x * y + m.sum(x))(x))(X),
    "inner_maps_over_outer_value_axis_1": lambda m, ad: ad.vmap(
        lambda x: ad.vmap(lambda c: m.sum(x * c), in_axes=1)(Y))(X),
    "outer_constant_under_inner_grad": lambda m, ad: ad.vmap(
        lambda c: ad.vmap(ad.grad(lambda y: c * m.sin(y) * y))(YS))(XS),
    "inner_grad_of_outer_value": lambda m, ad: ad.vmap(
        lambda x: ad.vmap(ad.grad(lambda y: m.sum(m.sin(x * y))))(YS))(X),
    # Siskind & Pearlmutter: d/dx [x * (d/dy (x + y))(1)] = 1 (not 2), per example.
    "siskind_pearlmutter_vmap_grad": lambda m, ad: ad.vmap(ad.grad(
        lambda x: x * ad.grad(lambda y: x + y)(1.0)))(XS),
    "siskind_pearlmutter_product": lambda m, ad: ad.vmap(ad.grad(
        lambda x: x * ad.grad(lambda y: x * y)(2.0)))(XS),
    "siskind_pearlmutter_jvp": lambda m, ad: ad.vmap(lambda x: ad.jvp(
        lambda x: x * ad.jvp(lambda y: x * y, (2.0,), (1.0,))[1], (x,), (1.0,))[1])(XS),
    # The inner derivative is vmapped over y: d/dx [x * sum_y d/dy (x*y)] = 2 n x.
    "vmapped_inner_derivative": lambda m, ad: ad.grad(
        lambda x: x * m.sum(ad.vmap(ad.grad(lambda y: x * y))(YS)))(0.75),
    "vmapped_outer_and_inner_derivative": lambda m, ad: ad.vmap(ad.grad(
        lambda x: x * m.sum(ad.vmap(ad.grad(lambda y: x * y * y))(YS))))(XS),
    "jvp_around_vmap_around_jvp": lambda m, ad: ad.jvp(lambda x: ad.vmap(
        lambda y: ad.jvp(lambda z: x * z * y, (1.0,), (1.0,))[1])(YS), (0.5,), (1.0,)),
    "hessian_of_vmap_with_closed_over_x": lambda m, ad: ad.hessian(lambda x: m.sum(ad.vmap(
        lambda y: ad.grad(lambda z: m.sum(x * z * y))(x))(YS)))(S),
}


@pytest.mark.parametrize("name", list(CONFUSION))
def test_perturbation_confusion(name):
    both(CONFUSION[name])


def test_siskind_pearlmutter_values():
    one = dualrev.vmap(dualrev.grad(lambda x: x * dualrev.grad(lambda y: x + y)(1.0)))(XS)
    np.testing.assert_array_equal(one, np.ones(3))
    n = len(YS)
    got = dualrev.grad(lambda x: x * dnp.sum(dualrev.vmap(dualrev.grad(lambda y: x * y))(YS)))(0.75)
    assert got == pytest.approx(2 * n * 0.75)


def test_escaped_batched_value_raises():
    kept = []
    dualrev.vmap(lambda a: kept.append(a) or a)(X)
    with pytest.raises(dualrev.EscapedTracerError, match="vmap"):
        dnp.sin(kept[0])


# ============================================================================ per-example gradients

def mlp(m, params, x):
    h = m.tanh(x @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def mse_loss(m):
    return lambda params, x, y: m.sum((mlp(m, params, x) - y) ** 2)


def ce_loss(m):
    return lambda params, x, label: -take(m, log_softmax(m, mlp(m, params, x)), label)


PARAMS = {"W1": _normal(4, 5) * 0.5, "b1": _normal(5) * 0.1, "W2": _normal(5, 3) * 0.5,
          "b2": _normal(3) * 0.1}
XS_MLP = _normal(7, 4)
YS_MLP = _normal(7, 3)
LABELS = np.array([0, 2, 1, 1, 0, 2, 2])


@pytest.mark.parametrize("loss, targets", [(mse_loss, YS_MLP), (ce_loss, LABELS)],
                         ids=["mse", "cross_entropy_batched_labels"])
def test_per_example_gradients_of_an_mlp(loss, targets):
    both(lambda m, ad: ad.vmap(ad.grad(loss(m)), in_axes=(None, 0, 0))(PARAMS, XS_MLP, targets))
    both(lambda m, ad: ad.vmap(ad.value_and_grad(loss(m), argnums=(0, 1)), in_axes=(None, 0, 0))(
        PARAMS, XS_MLP, targets))
    # Their sum is the gradient of the summed loss.
    per = dualrev.vmap(dualrev.grad(loss(dnp)), in_axes=(None, 0, 0))(PARAMS, XS_MLP, targets)
    total = dualrev.grad(lambda p: dnp.sum(dualrev.vmap(loss(dnp), in_axes=(None, 0, 0))(
        p, XS_MLP, targets)))(PARAMS)
    for k in PARAMS:
        np.testing.assert_allclose(per[k].sum(axis=0), total[k], rtol=1e-12, atol=1e-12)


def test_per_example_hessians_of_an_mlp():
    both(lambda m, ad: ad.vmap(ad.hessian(ce_loss(m), 1), in_axes=(None, 0, 0))(
        PARAMS, XS_MLP, LABELS))
    both(lambda m, ad: ad.vmap(ad.jacrev(ad.grad(mse_loss(m)), 1), in_axes=(None, 0, 0))(
        PARAMS, XS_MLP, YS_MLP))


# ============================================================================ data-dependent masks

# Ties, zeros and sign changes inside each example and differing between examples:
# the masks rules compute from their arguments' values stay batched.
MX = np.array([[1.0, -2.0, 0.0, 3.0], [2.0, 2.0, -1.0, 0.5], [0.0, 0.0, 0.0, 0.0]])
MY = np.array([[1.0, 0.0, 0.0, 3.0], [-2.0, 2.0, 1.0, 0.5], [0.0, 1.0, -1.0, 0.0]])
MASKED = {
    "where": (lambda m: lambda a: m.sum(m.where(a > 0, a ** 2, m.sin(a))), 1),
    "where_double": (lambda m: lambda a: m.sum(m.where(a > 0, m.sqrt(m.where(a > 0, a, 1.0)), 0.0)), 1),
    "maximum_ties": (lambda m: lambda a, b: m.sum(m.maximum(a, b) * a), 2),
    "minimum_ties": (lambda m: lambda a, b: m.sum(m.minimum(a, b) ** 2 + a * b), 2),
    "relu": (lambda m: lambda a: m.sum(relu(m, a) * a + relu(m, a - 1.0) ** 2), 1),
    "abs": (lambda m: lambda a: m.sum(m.abs(a) * a), 1),
    "max_min_reductions_ties": (lambda m: lambda a: m.max(a) * m.min(a) + m.max(a) ** 2, 1),
    "max_axis_ties": (lambda m: lambda a: m.sum(m.max(m.reshape(a, (2, 2)), axis=1) ** 2), 1),
    "min_keepdims_ties": (lambda m: lambda a: m.sum(m.min(a * a, keepdims=True) * a), 1),
    "prod_with_zeros": (lambda m: lambda a: m.prod(a) + m.prod(a + 1.0), 1),
    "prod_axis_with_zeros": (lambda m: lambda a: m.sum(m.prod(m.reshape(a, (2, 2)), axis=0) ** 2), 1),
    "remainder": (lambda m: lambda a, b: m.sum(m.remainder(a * 3.0, b + 2.5) * a), 2),
    "fmod": (lambda m: lambda a, b: m.sum(m.fmod(a * 3.0, b - 2.5) * b), 2),
    "sign": (lambda m: lambda a: m.sum(m.sign(a) * a ** 2), 1),
    "log_softmax": (lambda m: lambda a: m.sum(log_softmax(m, a) * a), 1),
    "comparison_mask_arithmetic": (lambda m: lambda a, b: m.sum(m.where((a >= b) & (a != 0), a * b, b)), 2),
}
MASK_TRANSFORMS = {
    "vmap": lambda ad, f, n: ad.vmap(f),
    "vmap(grad)": lambda ad, f, n: ad.vmap(ad.grad(f, tuple(range(n)))),
    "jacfwd(vmap)": lambda ad, f, n: ad.jacfwd(ad.vmap(f), tuple(range(n))),
    "jacrev(vmap)": lambda ad, f, n: ad.jacrev(ad.vmap(f), tuple(range(n))),
    "vmap(hessian)": lambda ad, f, n: ad.vmap(ad.hessian(f, tuple(range(n)))),
    "vmap(vmap(grad))": lambda ad, f, n: ad.vmap(ad.vmap(ad.grad(f, tuple(range(n)))),
                                                 in_axes=1, out_axes=1),
}


@pytest.mark.parametrize("transform", list(MASK_TRANSFORMS))
@pytest.mark.parametrize("name", list(MASKED))
def test_data_dependent_masks(name, transform):
    make, n = MASKED[name]
    args = (MX, MY)[:n]
    if transform == "vmap(vmap(grad))":
        args = tuple(np.stack([a, a[::-1] * 0.5], axis=1) for a in args)

    def fn(m, ad):
        with np.errstate(divide="ignore", invalid="ignore"):
            return MASK_TRANSFORMS[transform](ad, make(m), n)(*map(m.asarray, args))
    both(fn)


def test_relu_derivative_at_zero_under_vmap():
    """relu'(0) is 0 in each example, whatever the other examples hold."""
    g = dualrev.vmap(dualrev.grad(lambda a: dnp.sum(F.relu(a))))(MX)
    np.testing.assert_array_equal(g, (MX > 0).astype(float))


# ============================================================================ batched indices

IX = _normal(3, 5, 4)
II = np.array([[0, 4], [2, 2], [-1, 1]])     # one index array per example
I0 = np.array([3, 0, 4])                      # one integer per example
T54 = _normal(5, 4)

INDEXING = {
    "int_per_example": (lambda m, a, i: take(m, a, i), (IX, I0), (0, 0)),
    "array_per_example": (lambda m, a, i: take(m, a, i), (IX, II), (0, 0)),
    "x_shared": (lambda m, a, i: take(m, a, i), (T54, II), (None, 0)),
    "x_shared_index_axis_1": (lambda m, a, i: take(m, a, i), (T54, II.T), (None, 1)),
    "x_batched_axis_1": (lambda m, a, i: take(m, a, i), (IX.transpose(1, 0, 2), II), (1, 0)),
    "slice_then_index": (lambda m, a, i: take(m, a, (slice(None), i % 4)), (IX, II), (0, 0)),
    "slice_then_int_x_shared": (lambda m, a, i: take(m, a, (slice(1, None), i % 4)), (T54, I0), (None, 0)),
    "index_then_int": (lambda m, a, i: take(m, a, (i, 1)), (IX, II), (0, 0)),
    "int_then_index": (lambda m, a, i: take(m, a, (1, i % 4)), (IX, II), (0, 0)),
    "newaxis_index_slice": (lambda m, a, i: take(m, a, (None, i, slice(1, 3))), (IX, II), (0, 0)),
    "index_slice_index": (lambda m, a, i: take(m, take(m, a, (slice(None), None)),
                                               (i, slice(None), i % 4)), (IX, II), (0, 0)),
    "ellipsis_then_index": (lambda m, a, i: take(m, a, (Ellipsis, i % 4)), (IX, II), (0, 0)),
    "index_with_static_array": (lambda m, a, i: take(m, a, (i, np.array([[1], [3]]))), (IX, II), (0, 0)),
    "index_with_static_mask": (lambda m, a, i: take(m, a, (i, np.array([True, False, True, True]))),
                               (IX, I0), (0, 0)),
    "two_batched_indices": (lambda m, a, i, j: take(m, a, (i, j)), (IX, II, (II % 4).T), (0, 0, 1)),
    "repeated_entries": (lambda m, a, i: take(m, a, (i, i % 4)) * take(m, a, i % 2)[..., 0],
                         (IX, np.array([[1, 1], [0, 0], [3, 3]])), (0, 0)),
    "then_reduced": (lambda m, a, i: m.sum(take(m, m.sin(a), i) ** 2, axis=0), (IX, II), (0, 0)),
}


def _index_fn(m, name):
    fn = INDEXING[name][0]
    return lambda *a: fn(m, *a)


@pytest.mark.parametrize("name", list(INDEXING))
def test_batched_index(name):
    _, args, axes = INDEXING[name]
    both(lambda m, ad: ad.vmap(_index_fn(m, name), in_axes=axes)(*args))
    both(lambda m, ad: ad.vmap(_index_fn(m, name), in_axes=axes, out_axes=-1)(*args))


@pytest.mark.parametrize("name", list(INDEXING))
def test_batched_index_derivatives(name):
    _, args, axes = INDEXING[name]

    def scalar(m):
        f = _index_fn(m, name)
        return lambda a, *r: m.sum(m.sin(f(a, *r)) ** 2)
    x, rest = args[0], args[1:]
    if axes[0] is not None:       # the batched operand: derivatives per example and through vmap
        both(lambda m, ad: ad.vmap(ad.grad(scalar(m)), in_axes=axes)(*args))
        both(lambda m, ad: ad.vmap(ad.hessian(scalar(m)), in_axes=axes)(*args))
    both(lambda m, ad: ad.grad(lambda a: m.sum(ad.vmap(scalar(m), in_axes=axes)(a, *rest)))(x))
    both(lambda m, ad: ad.jacfwd(lambda a: ad.vmap(_index_fn(m, name), in_axes=axes)(a, *rest))(x))
    both(lambda m, ad: ad.jacrev(lambda a: ad.vmap(_index_fn(m, name), in_axes=axes)(a, *rest))(x))
    # A constant operand (or shared one): the index batched, the derivative per example.
    x0 = x if axes[0] is None else np.moveaxis(x, axes[0], 0)[0]
    r_axes = axes[1:]
    both(lambda m, ad: ad.vmap(lambda *r: ad.grad(scalar(m))(x0, *r), in_axes=r_axes)(*rest))
    ones = np.ones_like(x0)
    both(lambda m, ad: ad.vmap(lambda *r: ad.jvp(lambda a: _index_fn(m, name)(a, *r), (x0,),
                                                 (ones,))[1], in_axes=r_axes)(*rest))


NX = _normal(2, 3, 5)
NI = np.array([[4, 0, 2], [1, 1, 3]])


def test_batched_index_nested_vmaps():
    # x and i batched by both vmaps
    both(lambda m, ad: ad.vmap(ad.vmap(lambda a, i: take(m, a, i)))(NX, NI))
    # the index batched by the outer vmap only, x by the inner only
    both(lambda m, ad: ad.vmap(lambda i: ad.vmap(lambda t: take(m, t, i))(T54))(NI[0] % 4))
    # x batched by the outer vmap only, the index by the inner only
    both(lambda m, ad: ad.vmap(lambda t: ad.vmap(lambda i: take(m, t, i))(NI[0] % 4))(T54))
    # a constant x, the index batched by both
    both(lambda m, ad: ad.vmap(ad.vmap(lambda i: take(m, T54, (i, 2))))(NI))
    # gradients through both
    both(lambda m, ad: ad.grad(lambda x: m.sum(ad.vmap(ad.vmap(
        lambda a, i: take(m, a, i) ** 2))(x, NI)))(NX))
    both(lambda m, ad: ad.vmap(lambda i: ad.vmap(ad.grad(lambda t: m.sum(m.sin(take(m, t, i)) ** 2)),
                                                 in_axes=(0,))(T54))(NI % 4))
    both(lambda m, ad: ad.vmap(ad.vmap(ad.grad(lambda a, i: m.sum(take(m, a, i) ** 3))))(NX, NI))


def test_batched_index_vjp_and_linearize():
    ct = _normal(3, 4)
    both(lambda m, ad: ad.vmap(lambda i, c: ad.vjp(lambda a: take(m, a, i), m.asarray(T54))[1](c))(
        I0, ct))
    both(lambda m, ad: ad.vmap(lambda i: ad.linearize(lambda a: take(m, a, i) * 2.0,
                                                      m.asarray(T54))[1](T54))(I0))


def test_batched_index_errors():
    with pytest.raises(IndexError, match="must hold integers"):
        dualrev.vmap(dnp.getitem)(IX, II * 1.0)
    with pytest.raises(IndexError, match="boolean mask that differs per example"):
        dualrev.vmap(dnp.getitem)(IX, IX[:, :, 0] > 0)
    with pytest.raises(NotImplementedError, match="set_item .* batched by vmap"):
        dualrev.vmap(lambda a, i: dualrev.numpy._shape.set_item(a, i, 0.0))(IX, I0)


# ============================================================================ chunk_size

def chunk_f(x):
    return dnp.sin(x) * x[::-1] + dnp.sum(x ** 2) + dnp.max(x) * x


def chunk_g(x, p):
    return (dnp.tanh(x @ p["w"]) * p["b"], dnp.sum(dualrev.vmap(lambda r: r * x[0])(p["w"])))


def chunk_s(x, p):
    return dnp.sum(dnp.sin(x @ p["w"]) ** 2 * p["b"]) + dnp.prod(x[:3])


def chunk_mlp(x, p):
    """A matrix product after a nonlinearity: the directions reach it as a dense batch."""
    h = dnp.tanh(dnp.sin(x) @ p["w"])
    return dnp.einsum("i,ij,j->j", h, p["w"].T @ p["w"], h, optimize=True)


CHUNK_X = _normal(5)
CHUNK_P = {"w": _normal(5, 4), "b": _normal(4)}
CHUNKED = {
    "jacfwd_mlp": lambda c: dualrev.jacfwd(chunk_mlp, chunk_size=c)(CHUNK_X, CHUNK_P),
    "hessian_mlp": lambda c: dualrev.hessian(lambda x, p: dnp.sum(chunk_mlp(x, p) ** 2),
                                             chunk_size=c)(CHUNK_X, CHUNK_P),
    "jacfwd_vector": lambda c: dualrev.jacfwd(chunk_f, chunk_size=c)(CHUNK_X),
    "jacrev_vector": lambda c: dualrev.jacrev(chunk_f, chunk_size=c)(CHUNK_X),
    "jacfwd_trees": lambda c: dualrev.jacfwd(chunk_g, argnums=(0, 1), chunk_size=c)(CHUNK_X, CHUNK_P),
    "jacrev_trees": lambda c: dualrev.jacrev(chunk_g, argnums=(0, 1), chunk_size=c)(CHUNK_X, CHUNK_P),
    "hessian": lambda c: dualrev.hessian(chunk_s, chunk_size=c)(CHUNK_X, CHUNK_P),
    "hessian_trees": lambda c: dualrev.hessian(chunk_s, argnums=(0, 1), chunk_size=c)(CHUNK_X, CHUNK_P),
    "vmap_of_jacrev": lambda c: dualrev.vmap(dualrev.jacrev(chunk_f, chunk_size=c))(X),
}
JAX_CHUNKED = {
    "jacfwd_vector": "jacfwd", "jacrev_vector": "jacrev", "jacfwd_trees": "jacfwd",
    "jacrev_trees": "jacrev", "hessian": "hessian", "hessian_trees": "hessian",
}


@pytest.mark.parametrize("name", list(CHUNKED))
def test_chunk_size_gives_identical_results(name):
    full = CHUNKED[name](None)
    for c in (1, 2, 3, 7):
        got = CHUNKED[name](c)
        g_leaves, g_tree = jax.tree_util.tree_flatten(got)
        f_leaves, f_tree = jax.tree_util.tree_flatten(full)
        assert g_tree == f_tree
        for a, b in zip(g_leaves, f_leaves):
            np.testing.assert_array_equal(a, b, err_msg=f"chunk_size={c}")
            assert a.dtype == b.dtype


def _jax_chunk_reference(name):
    x, p = CHUNK_X, CHUNK_P
    if name.endswith("vector"):
        f = lambda x: jnp.sin(x) * x[::-1] + jnp.sum(x ** 2) + jnp.max(x) * x  # noqa: E731
        return getattr(jax, JAX_CHUNKED[name])(f)(x)
    if name.startswith("hessian"):
        s = lambda x, p: jnp.sum(jnp.sin(x @ p["w"]) ** 2 * p["b"]) + jnp.prod(x[:3])  # noqa: E731
        return jax.hessian(s, argnums=(0, 1) if name.endswith("trees") else 0)(x, p)
    g = lambda x, p: (jnp.tanh(x @ p["w"]) * p["b"],  # noqa: E731
                      jnp.sum(jax.vmap(lambda r: r * x[0])(p["w"])))
    return getattr(jax, JAX_CHUNKED[name])(g, argnums=(0, 1))(x, p)


def test_jacrev_chunks_of_one_direction_give_identical_results():
    full = dualrev.jacrev(chunk_mlp)(CHUNK_X, CHUNK_P)
    for c in (1, 3):     # 3: the last of the four directions is a chunk of its own
        np.testing.assert_array_equal(dualrev.jacrev(chunk_mlp, chunk_size=c)(CHUNK_X, CHUNK_P),
                                      full, err_msg=f"chunk_size={c}")


@pytest.mark.parametrize("name", list(JAX_CHUNKED))
def test_chunked_jacobians_against_jax(name):
    same(CHUNKED[name](2), _jax_chunk_reference(name))


@pytest.mark.parametrize("where", ["jacfwd", "jacrev", "hessian"])
def test_chunk_size_errors(where):
    fn = getattr(dualrev, where)
    with pytest.raises(ValueError, match=f"{where}: chunk_size must be at least 1"):
        fn(dnp.sum, chunk_size=0)
    with pytest.raises(ValueError, match="at least 1"):
        fn(dnp.sum, chunk_size=-3)
    for bad in (1.5, "2", True):
        with pytest.raises(TypeError, match=f"{where}: chunk_size must be a positive int or None"):
            fn(dnp.sum, chunk_size=bad)


# ============================================================================ errors

XA, XB4 = np.ones((3, 2)), np.ones((4, 2))


def _halve_while_large(a):
    while (a * a).sum() > 1:
        a = a / 2
    return a


def _jax_raises(fn, exc):
    with pytest.raises(exc):
        fn(jnp, jax)


ERRORS = {
    "inconsistent_sizes": (
        lambda m, ad: ad.vmap(lambda a, b: a + b)(XA, XB4), ValueError,
        r"inconsistent sizes.*argument 0 has size 3 \(axis 0 of its shape \(3, 2\)\), "
        r"argument 1 has size 4"),
    "inconsistent_sizes_in_a_tree": (
        lambda m, ad: ad.vmap(lambda d: d["a"] + d["b"], in_axes=({"a": 0, "b": 1},))(
            {"a": XA, "b": XB4.T}), ValueError,
        r"argument 0\['a'\] has size 3 .*argument 0\['b'\] has size 4 \(axis 1 of its shape \(2, 4\)\)"),
    "inconsistent_sizes_keyword": (
        lambda m, ad: ad.vmap(lambda a, b: a + b)(XA, b=XB4), ValueError,
        r"argument 0 has size 3.*keyword argument 'b' has size 4"),
    "axis_size_disagrees": (
        lambda m, ad: ad.vmap(lambda a: a, axis_size=4)(XA), ValueError,
        r"inconsistent sizes.*axis_size=4.*argument 0 has size 3"),
    "in_axes_out_of_range": (
        lambda m, ad: ad.vmap(lambda a: a, in_axes=2)(XA), ValueError,
        r"in_axes=2 is out of range for argument 0, which has 2 dimensions \(shape \(3, 2\)\)"),
    "in_axes_out_of_range_negative": (
        lambda m, ad: ad.vmap(lambda a, b: a, in_axes=(0, -3))(XA, XA), ValueError,
        r"in_axes=-3 is out of range for argument 1"),
    "in_axes_on_a_scalar": (
        lambda m, ad: ad.vmap(lambda a, s: a * s)(XA, 2.0), ValueError,
        r"argument 1, which has 0 dimensions.*pass in_axes=None for it"),
    "in_axes_not_a_prefix_tuple_for_leaf": (
        lambda m, ad: ad.vmap(lambda a, b: a, in_axes=((0, 0), 0))(XA, XA), ValueError,
        r"in_axes is not a pytree prefix of the arguments: at argument 0, in_axes has a tuple"),
    "in_axes_not_a_prefix_dict_keys": (
        lambda m, ad: ad.vmap(lambda d: d["a"], in_axes=({"a": 0, "c": 0},))({"a": XA, "b": XA}),
        ValueError, r"at argument 0, in_axes has keys \['a', 'c'\] but the value has keys \['a', 'b'\]"),
    "in_axes_not_a_prefix_length": (
        lambda m, ad: ad.vmap(lambda t: t[0], in_axes=((0, 0, 0),))((XA, XA)), ValueError,
        r"at argument 0, in_axes has 3 entries but the value has 2"),
    "in_axes_list_where_a_tuple_is": (
        lambda m, ad: ad.vmap(lambda t: t[0], in_axes=([0, 0],))((XA, XA)), ValueError,
        r"at argument 0, in_axes has a list \[0, 0\] but the value is a tuple"),
    "in_axes_too_few_entries": (
        lambda m, ad: ad.vmap(lambda a, b: a, in_axes=(0,))(XA, XA), ValueError,
        r"in_axes is a tuple of 1 entries but the function was called with 2 positional"),
    "in_axes_float": (
        lambda m, ad: ad.vmap(lambda a: a, in_axes=0.5)(XA), TypeError,
        r"in_axes must be an int, None, or a tuple"),
    "out_axes_none_for_batched_output": (
        lambda m, ad: ad.vmap(lambda a: (a, a), out_axes=(0, None))(XA), ValueError,
        r"out_axes is None for output\[1\], but it depends on the batch"),
    "out_axes_out_of_range": (
        lambda m, ad: ad.vmap(lambda a: a, out_axes=3)(XA), ValueError,
        r"out_axes=3 is out of range for output, which has 2 dimensions"),
    "out_axes_not_a_prefix": (
        lambda m, ad: ad.vmap(lambda a: (a, a), out_axes=(0, 0, 0))(XA), ValueError,
        r"out_axes is not a pytree prefix of the outputs: at output, out_axes has 3 entries"),
    "axis_size_missing": (
        lambda m, ad: ad.vmap(lambda a: a, in_axes=None)(XA), ValueError,
        r"at least one non-None value in in_axes.*axis_size"),
    "python_if_on_batched_value": (
        lambda m, ad: ad.vmap(lambda a: a if a[0] > 0 else -a)(XA), TypeError,
        r"truth value of a value batched by vmap depends on the example"),
    "python_while_on_batched_value": (
        lambda m, ad: ad.vmap(_halve_while_large)(XA), TypeError, r"Python control flow"),
    "float_of_batched_value": (
        lambda m, ad: ad.vmap(lambda a: float(a[0]))(XA), TypeError,
        r"float\(\) of a value batched by vmap"),
    "numpy_conversion_of_batched_value": (
        lambda m, ad: ad.vmap(lambda a: np.asarray(a))(XA), TypeError,
        r"batched by vmap cannot be converted to a NumPy array"),
    "not_callable": (lambda m, ad: ad.vmap(3)(XA), TypeError, r"callable"),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_as_jax(name):
    fn, exc, pattern = ERRORS[name]
    with pytest.raises(exc, match=pattern):
        fn(dnp, dualrev)
    _jax_raises(fn, exc)


def test_python_control_flow_on_batched_value_under_grad():
    with pytest.raises(TypeError, match="batched by vmap"):
        dualrev.vmap(dualrev.grad(lambda a: a[0] if a[1] > 0 else a[1]))(XA)


# ============================================================================ dtypes

X32 = X.astype(F32)
DTYPES = {
    "vmap": lambda m, ad: ad.vmap(lambda a: m.sin(a) * 2.0)(X32),
    "vmap_out_axes": lambda m, ad: ad.vmap(lambda a: m.outer(a, a), out_axes=-1)(X32),
    "unbatched_output": lambda m, ad: ad.vmap(lambda a: np.ones(2, F32), out_axes=1)(X32),
    "vmap(grad)": lambda m, ad: ad.vmap(ad.grad(lambda a: m.sum(m.sin(a) * a)))(X32),
    "vmap(hessian)": lambda m, ad: ad.vmap(ad.hessian(lambda a: m.sum(m.sin(a) * a)))(X32),
    "jacfwd(vmap)": lambda m, ad: ad.jacfwd(ad.vmap(lambda a: m.sum(m.tanh(a) * a)))(X32),
    "jacrev(vmap)": lambda m, ad: ad.jacrev(ad.vmap(lambda a: m.sum(m.tanh(a) * a)))(X32),
    "vmap(jvp)": lambda m, ad: ad.vmap(lambda a, v: ad.jvp(m.exp, (a,), (v,)))(X32, X32 * 0.5),
    "vmap(vjp)": lambda m, ad: ad.vmap(lambda a, c: ad.vjp(m.tanh, a)[1](c))(X32, X32 * 0.5),
    "batched_index": lambda m, ad: ad.vmap(ad.grad(lambda a, i: m.sin(take(m, a, i))))(
        X32, np.array([0, 3, 1])),
    "masks": lambda m, ad: ad.vmap(ad.grad(lambda a: m.sum(relu(m, a) * m.max(a))))(X32),
    "float32_and_float64_batches": lambda m, ad: ad.vmap(lambda a, b: a * b)(X32, X),
    "float32_and_python_float": lambda m, ad: ad.vmap(lambda a: a * 2.5 + 1)(X32),
}


@pytest.mark.parametrize("name", list(DTYPES))
def test_float32_stays_float32(name):
    ours = DTYPES[name](dnp, dualrev)
    same(ours, DTYPES[name](jnp, jax))     # dtypes as JAX's
    if name != "float32_and_float64_batches":
        for leaf in jax.tree_util.tree_leaves(ours):
            assert to_numpy(leaf).dtype == F32


# ============================================================================ complex

ZB = X + 1j * Y.T


COMPLEX = {
    "holomorphic_grad": lambda m, ad: ad.vmap(ad.grad(lambda z: z ** 3 * m.sin(z), holomorphic=True))(
        ZB[0]),
    "holomorphic_grad_of_sum": lambda m, ad: ad.vmap(ad.grad(
        lambda z: m.sum(m.exp(z) * z), holomorphic=True))(ZB),
    "real_loss_grad": lambda m, ad: ad.vmap(ad.grad(lambda z: m.sum(m.abs(z * m.exp(z)) ** 2)))(ZB),
    "holomorphic_jacfwd_complex64": lambda m, ad: ad.vmap(ad.jacfwd(
        lambda z: z ** 2 * m.exp(z), holomorphic=True))(ZB.astype(np.complex64)),
    "holomorphic_jacrev": lambda m, ad: ad.vmap(ad.jacrev(lambda z: m.sin(z) * z[0], holomorphic=True))(ZB),
    "holomorphic_hessian": lambda m, ad: ad.vmap(ad.hessian(lambda z: m.sum(z ** 3), holomorphic=True))(ZB),
    "vmap(jvp)": lambda m, ad: ad.vmap(lambda z, v: ad.jvp(lambda z: m.sin(z) * z, (z,), (v,)))(ZB, ZB[::-1]),
    "vmap(vjp)": lambda m, ad: ad.vmap(lambda z, c: ad.vjp(lambda z: m.exp(z) * m.conj(z), z)[1](c))(
        ZB, ZB * 1j),
    "batched_index": lambda m, ad: ad.vmap(lambda z, i: take(m, z, i) * z[0])(ZB, np.array([1, 0, 3])),
}


@pytest.mark.parametrize("name", list(COMPLEX))
def test_complex(name):
    both(COMPLEX[name])
