"""The PyTorch-style imperative layer: Tensor, backward(), autograd.grad, grad modes.

Sections:

1. the gradient-computation walkthrough (examples/seed_walkthrough.py), step by step;
2. errors: missing requires_grad, a freed graph, in-place changes and version checks;
3. ``create_graph=True``: second derivatives, checked against JAX;
4. ``autograd.grad``: tuples, grad_outputs, allow_unused, non-leaf inputs, retain_grad;
5. graphs built separately and merged when they meet;
6. Tensor methods: ``backward()`` against ``jax.grad`` and ``dualrev.grad``;
7. the adjoint identity <J v, w> = <v, J^T w> for the imperative VJP;
8. Tensor basics: dtypes, leaves, grad_fn, conversions, printing;
9. memory: graphs are freed with the last tensor that refers to them.

Expected values come from closed forms, NumPy or JAX (float64); printed forms
come from PyTorch.  Tests marked ``xfail(strict=True)`` pin known bugs.
"""
import functools
import gc
import re
import weakref

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dualrev
import dualrev.core
import dualrev.numpy as dnp
from dualrev import autograd
from dualrev.graph import graph_var
from helpers import jax, jnp, seed_for

F64 = dualrev.float64
HYP = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def t64(a, requires_grad=False):
    """A float64 tensor (a copy of a)."""
    return dualrev.tensor(np.asarray(a, dtype=np.float64), dtype=F64,
                          requires_grad=requires_grad)


def arr(t):
    """A tensor's value as a NumPy array (detached)."""
    return np.array(t.detach().numpy())


def rng_for(name):
    return np.random.default_rng(seed_for(name))


def graph_of(t):
    """The imperative Graph a recorded tensor belongs to."""
    v = graph_var(t._value)
    assert v is not None, "the tensor is not recorded in any graph"
    return v._trace


def close(actual, expected, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(np.asarray(actual, np.float64), np.asarray(expected, np.float64),
                               rtol=rtol, atol=atol)


# =============================================================================
# 1. The walkthrough
# =============================================================================
# Each numbered step of the gradient-computation walkthrough, with ``torch``
# replaced by ``dualrev``: the values the document prints, from closed forms.


def test_step1_scalar_derivative():
    x = dualrev.tensor(3.0, requires_grad=True)
    y = x ** 2
    y.backward()
    assert x.grad.item() == 6.0
    assert x.grad.dtype == np.float32
    assert x.grad.shape == ()
    assert repr(x.grad) == "tensor(6.)"


def test_step2_multivariable_gradient():
    x = dualrev.tensor(2.0, requires_grad=True)
    y = dualrev.tensor(4.0, requires_grad=True)
    L = x ** 2 + 3 * y
    L.backward()
    assert x.grad.item() == 4.0
    assert y.grad.item() == 3.0
    assert (repr(x.grad), repr(y.grad)) == ("tensor(4.)", "tensor(3.)")


def test_step3_gradient_with_respect_to_a_tensor():
    W = dualrev.randn(3, 4, requires_grad=True)
    L = (W ** 2).sum()
    L.backward()
    assert W.shape == (3, 4) and W.grad.shape == (3, 4)
    assert isinstance(W.grad.shape, dualrev.Size)
    assert repr(W.grad.shape) == "dualrev.Size([3, 4])"
    assert W.grad.dtype == np.float32
    np.testing.assert_array_equal(arr(W.grad), 2 * arr(W))   # exact: 2*w is exact in float32
    assert bool((W.grad == 2 * W).all())


def test_step4_backward_needs_a_scalar_output():
    x = dualrev.tensor(2.0, requires_grad=True)
    (x ** 2).backward()
    assert x.grad.item() == 4.0

    x = dualrev.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x ** 2
    with pytest.raises(RuntimeError, match="scalar outputs"):
        y.backward()
    assert x.grad is None
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [2.0, 4.0, 6.0])
    assert repr(x.grad) == "tensor([2., 4., 6.])"

    x = dualrev.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x ** 2
    y.backward(dualrev.tensor([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(arr(x.grad), [2.0, 4.0, 6.0])

    # A non-uniform upstream gradient is a vector-Jacobian product: 2 x * v.
    x = dualrev.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x ** 2).backward(dualrev.tensor([1.0, 0.5, -2.0]))
    np.testing.assert_array_equal(arr(x.grad), [2.0, 2.0, -12.0])


def test_step5_chain_rule():
    x = dualrev.tensor(3.0, requires_grad=True)
    y = x + 1
    z = y ** 2
    z.backward()
    assert x.grad.item() == 8.0          # 2 (x + 1) at 3


def test_step5_local_and_upstream_gradients():
    x = dualrev.tensor(2.0, requires_grad=True)
    y = dualrev.tensor(3.0, requires_grad=True)
    a = x + y
    z = a ** 2
    z.backward()
    assert x.grad.item() == 10.0 and y.grad.item() == 10.0   # 2 (x + y)


def test_step6_linear_layer_gradients():
    B, d, h = 5, 3, 4
    layer = dualrev.nn.Linear(d, h)
    X = dualrev.randn(B, d)
    Y = layer(X)
    assert Y.shape == (B, h)
    Y.sum().backward()
    assert layer.weight.grad.shape == (h, d)
    assert layer.bias.grad.shape == (h,)
    np.testing.assert_array_equal(arr(layer.bias.grad), np.full(h, float(B)))
    col_sums = arr(X).astype(np.float64).sum(axis=0)
    close(arr(layer.weight.grad), np.broadcast_to(col_sums, (h, d)), rtol=1e-5, atol=1e-5)
    assert X.grad is None


def test_step7_gradient_accumulation():
    x = dualrev.tensor(2.0, requires_grad=True)
    y = x ** 2
    y.backward()
    assert x.grad.item() == 4.0
    z = 3 * x
    z.backward()
    assert x.grad.item() == 7.0


def test_step8_optimizer_step_uses_the_gradient():
    """One SGD step: the gradient of the mean squared error is 2/N (pred - y)^T X."""
    dualrev.manual_seed(seed_for("step8"))
    model = dualrev.nn.Linear(3, 1, dtype=F64)
    optimizer = dualrev.optim.SGD(model.parameters(), lr=0.01)
    X = dualrev.randn(8, 3, dtype=F64)
    y = dualrev.randn(8, 1, dtype=F64)
    W0, b0 = arr(model.weight), arr(model.bias)
    pred = model(X)
    loss = ((pred - y) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    r = arr(X) @ W0.T + b0 - arr(y)               # (8, 1) residuals
    gW, gb = 2 / 8 * r.T @ arr(X), 2 / 8 * r.sum(axis=0)
    close(arr(model.weight.grad), gW)
    close(arr(model.bias.grad), gb)
    close(arr(model.weight), W0 - 0.01 * gW)
    close(arr(model.bias), b0 - 0.01 * gb)
    # The stale-gradient problem: without zero_grad the next backward adds up.
    loss2 = ((model(X) - y) ** 2).mean()
    before = arr(model.weight.grad)
    loss2.backward()
    r2 = arr(X) @ arr(model.weight).T + arr(model.bias) - arr(y)
    close(arr(model.weight.grad), before + 2 / 8 * r2.T @ arr(X))


GRAD_OFF = {
    "no_grad": lambda: dualrev.no_grad(),
    "inference_mode": lambda: dualrev.inference_mode(),
    "set_grad_enabled(False)": lambda: dualrev.set_grad_enabled(False),
}


@pytest.mark.parametrize("mode", sorted(GRAD_OFF))
def test_step9_disabling_gradients_in_a_block(mode):
    x = dualrev.tensor([1.0, 2.0], requires_grad=True)
    model = dualrev.nn.Linear(2, 3)
    with GRAD_OFF[mode]():
        assert not dualrev.is_grad_enabled()
        y = x * 2
        pred = model(x)
    assert dualrev.is_grad_enabled()
    for r in (y, pred):
        assert not r.requires_grad
        assert r.is_leaf and r.grad_fn is None
    np.testing.assert_array_equal(arr(y), [2.0, 4.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()
    # Recording resumes after the block.
    (x * 2).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [2.0, 2.0])


def test_step9_grad_mode_restored_after_an_exception():
    with pytest.raises(ValueError):
        with dualrev.no_grad():
            raise ValueError("inside")
    assert dualrev.is_grad_enabled()


def test_step9_enable_grad_inside_no_grad():
    x = dualrev.tensor(3.0, requires_grad=True)
    with dualrev.no_grad():
        with dualrev.enable_grad():
            assert dualrev.is_grad_enabled()
            y = x ** 2
        assert not dualrev.is_grad_enabled()
        z = x ** 2
    assert y.requires_grad and not z.requires_grad
    y.backward()
    assert x.grad.item() == 6.0


def test_step9_grad_modes_as_decorators():
    x = dualrev.tensor(3.0, requires_grad=True)

    @dualrev.no_grad
    def bare(a):
        """doc of bare"""
        assert not dualrev.is_grad_enabled()
        return a * 2

    @dualrev.no_grad()
    def called(a):
        return a * 2

    @dualrev.inference_mode()
    def inference(a):
        return a * 2

    @dualrev.inference_mode
    def inference_bare(a):
        return a * 2

    @dualrev.enable_grad()
    def enabled(a):
        return a * 2

    @dualrev.set_grad_enabled(False)
    def disabled(a):
        return a * 2

    assert dualrev.is_grad_enabled()   # decorating with set_grad_enabled changes nothing now
    assert bare.__name__ == "bare" and bare.__doc__ == "doc of bare"
    for f in (bare, called, inference, inference_bare, disabled):
        r = f(x)
        assert not r.requires_grad, f.__name__
        assert r.item() == 6.0
        assert dualrev.is_grad_enabled(), f.__name__
    with dualrev.no_grad():
        r = enabled(x)
        assert not dualrev.is_grad_enabled()
    assert r.requires_grad
    r.backward()
    assert x.grad.item() == 2.0


def test_step9_set_grad_enabled_as_a_function_and_inference_mode_false():
    x = dualrev.tensor(3.0, requires_grad=True)
    try:
        dualrev.set_grad_enabled(False)
        assert not dualrev.is_grad_enabled()
        assert not (x * 2).requires_grad
    finally:
        dualrev.set_grad_enabled(True)
    assert dualrev.is_grad_enabled()
    with dualrev.set_grad_enabled(True):
        assert (x * 2).requires_grad
    with dualrev.inference_mode(False):
        assert dualrev.is_grad_enabled()
        assert (x * 2).requires_grad
    with dualrev.no_grad():
        with dualrev.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not dualrev.is_grad_enabled()


def test_step10_finite_difference_check():
    def f(x):
        return x ** 2

    x = dualrev.tensor(3.0, requires_grad=True)
    y = f(x)
    y.backward()
    autograd_grad = x.grad.item()
    assert autograd_grad == 6.0 and isinstance(autograd_grad, float)
    eps = 1e-4
    finite_diff_grad = (f(dualrev.tensor(3.0 + eps)) - f(dualrev.tensor(3.0 - eps))) / (2 * eps)
    assert finite_diff_grad.dtype == np.float32
    # The same float32 arithmetic in NumPy; PyTorch prints the same number.
    p, m = np.float32(3.0 + eps), np.float32(3.0 - eps)
    expected = (p * p - m * m) / np.float32(2 * eps)
    assert finite_diff_grad.item() == float(expected) == 5.993843078613281
    assert abs(finite_diff_grad.item() - autograd_grad) < 1e-2


def test_step10_gradcheck_and_gradgradcheck():
    x = t64([0.5, -1.5, 2.0], requires_grad=True)
    assert autograd.gradcheck(lambda t: (t.sin() * t).sum(), (x,), eps=1e-6, atol=1e-5,
                              rtol=1e-3)
    assert autograd.gradgradcheck(lambda t: (t.sin() * t).sum(), (x,))
    # A function whose recorded derivative is wrong: t * detach(t) differentiates
    # to detach(t), the finite differences to 2 t.
    with pytest.raises(autograd.GradcheckError, match="Jacobian mismatch"):
        autograd.gradcheck(lambda t: t * t.detach(), (x,))
    assert autograd.gradcheck(lambda t: t * t.detach(), (x,), raise_exception=False) is False


def test_step11_common_problems():
    x = dualrev.tensor(2.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x ** 2).backward()
    x = dualrev.randn(3, requires_grad=True)
    y = x ** 2
    with pytest.raises(RuntimeError, match="leaf"):
        x.add_(1.0)
    y.sum().backward()                                   # x unchanged: still fine
    np.testing.assert_array_equal(arr(x.grad), 2 * arr(x))


def test_walkthrough_matches_the_functional_api():
    w = dualrev.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (w.sin() * w).sum().backward()
    g = dualrev.grad(lambda v: dnp.sum(dnp.sin(v) * v))(arr(w))
    close(arr(w.grad), g, rtol=1e-6, atol=1e-6)
    v = arr(w).astype(np.float64)
    close(arr(w.grad), np.cos(v) * v + np.sin(v), rtol=1e-6, atol=1e-6)


# =============================================================================
# 2. Errors
# =============================================================================
# Messages say what went wrong: no requires_grad, a graph gone through
# already, in-place changes of leaves and of values saved for backward.


def test_backward_on_a_tensor_without_requires_grad():
    x = dualrev.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        (x * 2).sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        x.sum().backward()


def test_backward_twice_needs_retain_graph():
    x = dualrev.tensor(2.0, requires_grad=True)
    y = x ** 3
    y.backward()
    assert x.grad.item() == 12.0
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()
    assert x.grad.item() == 12.0               # the failed call added nothing


def test_backward_twice_with_retain_graph_accumulates():
    x = t64([1.0, -2.0], requires_grad=True)
    y = (x ** 3).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    close(arr(x.grad), 3 * 3 * np.array([1.0, -2.0]) ** 2)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def _in_place(t, op):
    """Apply in-place operation op to t."""
    if op == "zero_":
        return t.zero_()
    if op == "copy_":
        return t.copy_(dualrev.tensor([5.0, 6.0, 7.0], dtype=t.dtype))
    if op == "setitem":
        t[1] = 7.0
        return t
    if op == "iadd":
        t += 2.0
        return t
    return getattr(t, op)(2.0)


# What each in-place operation does to [2, 4, 6], and its derivative.
IN_PLACE_RESULT = {
    "add_": (lambda h: h + 2, lambda h: np.ones_like(h)),
    "sub_": (lambda h: h - 2, lambda h: np.ones_like(h)),
    "mul_": (lambda h: h * 2, lambda h: np.full_like(h, 2.0)),
    "div_": (lambda h: h / 2, lambda h: np.full_like(h, 0.5)),
    "zero_": (lambda h: np.zeros_like(h), lambda h: np.zeros_like(h)),
    "copy_": (lambda h: np.array([5.0, 6.0, 7.0]), lambda h: np.zeros_like(h)),
    "setitem": (lambda h: np.array([h[0], 7.0, h[2]]), lambda h: np.array([1.0, 0.0, 1.0])),
    "iadd": (lambda h: h + 2, lambda h: np.ones_like(h)),
}


@pytest.mark.parametrize("op", sorted(IN_PLACE_RESULT))
def test_in_place_on_a_leaf_that_requires_grad_raises(op):
    x = dualrev.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        _in_place(x, op)
    np.testing.assert_array_equal(arr(x), [1.0, 2.0, 3.0])
    assert x._version == 0


@pytest.mark.parametrize("op", sorted(IN_PLACE_RESULT))
def test_in_place_on_a_saved_non_leaf_raises_at_backward(op):
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    y = h ** 2                       # saves h
    _in_place(h, op)
    assert h._version == 1
    with pytest.raises(RuntimeError, match="version"):
        y.sum().backward()
    assert x.grad is None


@pytest.mark.parametrize("op", sorted(IN_PLACE_RESULT))
def test_in_place_on_an_unsaved_non_leaf_is_allowed(op):
    x0 = np.array([1.0, 2.0, 3.0])
    x = t64(x0, requires_grad=True)
    h = x * 2                        # nothing saves h: 3 * h keeps only the constant
    _in_place(h, op)
    value, dvalue = IN_PLACE_RESULT[op]
    close(arr(h), value(2 * x0))
    assert h.requires_grad
    (h * 3).sum().backward()
    close(arr(x.grad), 3 * dvalue(2 * x0) * 2)


@pytest.mark.parametrize("fn", ["exp", "tanh", "sigmoid", "sqrt"])
def test_in_place_on_an_output_saved_by_its_own_op_raises(fn):
    """exp, tanh, sigmoid and sqrt save their output for backward."""
    x = t64([0.5, 2.0], requires_grad=True)
    y = getattr(x, fn)()
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="version"):
        y.sum().backward()


def test_in_place_after_exp_message_names_the_operation():
    x = dualrev.tensor([0.5, 2.0], requires_grad=True)
    y = x.exp()
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"(?s)mul_.*version 1.*expected version 0.*Exp"):
        y.sum().backward()


@pytest.mark.parametrize("op", sorted(IN_PLACE_RESULT))
def test_in_place_on_a_plain_tensor_writes_into_memory(op):
    x0 = np.array([2.0, 4.0, 6.0], dtype=np.float32)
    t = dualrev.tensor(x0)
    view = t.numpy()
    assert np.shares_memory(view, t.numpy())
    out = _in_place(t, op)
    if op != "setitem":
        assert out is t
    value, _ = IN_PLACE_RESULT[op]
    np.testing.assert_array_equal(view, value(x0.astype(np.float64)).astype(np.float32))
    assert t._version == 1
    assert t.dtype == np.float32


def test_in_place_version_counts_every_change():
    t = dualrev.zeros(3)
    t.add_(1.0)
    t.mul_(3.0)
    t[0] = 5.0
    t.zero_()
    assert t._version == 4
    np.testing.assert_array_equal(t.numpy(), [0.0, 0.0, 0.0])


def test_in_place_under_no_grad_on_a_leaf_is_allowed():
    """Optimizers update parameters this way; a graph that saved the old value
    refuses to use it afterwards, a graph that did not is unaffected."""
    w = dualrev.tensor([1.0, 2.0, 3.0], requires_grad=True)
    saved = (w ** 2).sum()                # saves w
    unsaved = (w * 3).sum()               # does not
    with dualrev.no_grad():
        w.sub_(0.5)
    assert w.is_leaf and w.requires_grad
    assert w._version == 1
    np.testing.assert_array_equal(arr(w), [0.5, 1.5, 2.5])
    with pytest.raises(RuntimeError, match="version"):
        saved.backward()
    unsaved.backward()
    np.testing.assert_array_equal(arr(w.grad), [3.0, 3.0, 3.0])
    # A new graph from the updated leaf is fine.
    w.grad = None
    (w ** 2).sum().backward()
    np.testing.assert_array_equal(arr(w.grad), [1.0, 3.0, 5.0])


def test_setitem_with_a_recorded_value():
    x, v = t64([1.0, 2.0, 3.0], requires_grad=True), t64(5.0, requires_grad=True)
    h = x * 2
    h[1] = v * v
    np.testing.assert_array_equal(arr(h), [2.0, 25.0, 6.0])
    (h * t64([1.0, 10.0, 100.0])).sum().backward()
    close(arr(x.grad), [2.0, 0.0, 200.0])
    close(v.grad.item(), 10.0 * 2 * 5.0)
    # Into a plain tensor: it becomes recorded.
    t, w = dualrev.zeros(3, dtype=F64), t64(2.0, requires_grad=True)
    t[0] = w * 3
    assert t.requires_grad and not t.is_leaf
    (t * t64([4.0, 1.0, 1.0])).sum().backward()
    assert w.grad.item() == 12.0


def test_gradient_argument_of_the_wrong_shape():
    x = dualrev.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x ** 2
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        y.backward(dualrev.tensor([1.0, 1.0]))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        y.backward(dualrev.ones(3, 1))
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        autograd.grad(y, x, dualrev.ones(1))
    y.backward(dualrev.ones(3))            # the graph is intact after the errors
    np.testing.assert_array_equal(arr(x.grad), [2.0, 4.0, 6.0])


def test_in_place_on_a_slice_of_a_recorded_tensor_writes_through_to_it():
    """As PyTorch: an in-place operation on a slice changes the tensor it was sliced
    from, recorded (x[idx] = new slice), so gradients follow; the shared version counter
    still protects values saved before."""
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2                              # [2, 4, 6]
    saved = h ** 2                         # saves h
    v = h[0:2]
    v.mul_(3.0)
    np.testing.assert_array_equal(arr(v), [6.0, 12.0])
    np.testing.assert_array_equal(arr(h), [6.0, 12.0, 6.0])
    assert h._version == v._version >= 1
    with pytest.raises(RuntimeError, match="version"):
        saved.sum().backward()
    (h * h).sum().backward(retain_graph=True)          # h = [6 x0, 6 x1, 2 x2]
    close(arr(x.grad), [72.0, 144.0, 24.0])
    x.grad = None
    v.sum().backward()                                 # d(3 * 2 x[0:2]) = 6
    close(arr(x.grad), [6.0, 6.0, 0.0])


def test_in_place_on_a_plain_slice_with_a_recorded_operand_records_the_whole_tensor():
    a = t64([1.0, 2.0], requires_grad=True)
    buf = dualrev.zeros(2, 2, dtype=F64)
    buf[0].copy_(a * 2)
    assert buf.requires_grad and not buf.is_leaf
    np.testing.assert_array_equal(arr(buf), [[2.0, 4.0], [0.0, 0.0]])
    (buf * buf).sum().backward()
    close(arr(a.grad), [8.0, 16.0])                    # 2 * (2a) * 2


def test_in_place_that_must_be_recorded_on_a_reshaped_view_raises():
    h = t64([1.0, 2.0], requires_grad=True) * 1
    with pytest.raises(RuntimeError, match="not supported"):
        h.reshape(2, 1).mul_(3.0)


def test_in_place_on_a_view_under_no_grad_writes_into_the_leaf():
    x = dualrev.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with dualrev.no_grad():
        x[0:2].add_(1.0)
        x.view(3, 1)[2, 0] = 10.0
    np.testing.assert_array_equal(arr(x), [2.0, 3.0, 10.0])
    assert x.is_leaf and x.requires_grad and x._version == 2
    (x ** 2).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [4.0, 6.0, 20.0])


def test_in_place_on_a_view_of_a_leaf_that_requires_grad_raises():
    x = dualrev.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x ** 2                                     # saves x
    v = x[0:2]
    with pytest.raises(RuntimeError, match="leaf"):
        v.add_(1.0)
    np.testing.assert_array_equal(arr(x), [1.0, 2.0, 3.0])
    assert x._version == 0
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [2.0, 4.0, 6.0])


# =============================================================================
# 3. create_graph: higher derivatives
# =============================================================================
# ``create_graph=True`` records the backward pass: its gradients are
# differentiable again; values checked in closed form and against JAX.


def test_second_derivative_by_backward_create_graph():
    x = t64(2.0, requires_grad=True)
    (x ** 3).backward(create_graph=True)
    g = x.grad
    assert g.requires_grad and g.grad_fn is not None
    assert g.item() == 12.0                          # 3 x^2
    x.grad = None
    g.backward()
    assert x.grad.item() == 12.0                     # 6 x
    assert not x.grad.requires_grad


def test_second_and_third_derivative_by_autograd_grad():
    x = t64(2.0, requires_grad=True)
    (g,) = autograd.grad(x ** 4, x, create_graph=True)
    (gg,) = autograd.grad(g, x, create_graph=True)
    (ggg,) = autograd.grad(gg, x)
    assert (g.item(), gg.item(), ggg.item()) == (32.0, 48.0, 48.0)   # 4x^3, 12x^2, 24x
    assert not ggg.requires_grad
    assert x.grad is None


def test_mixed_second_derivative():
    x = t64(1.5, requires_grad=True)
    y = t64(-2.0, requires_grad=True)
    L = x ** 2 * y + y.sin()
    gx, gy = autograd.grad(L, (x, y), create_graph=True)
    close(gx.item(), 2 * 1.5 * -2.0)
    close(gy.item(), 1.5 ** 2 + np.cos(-2.0))
    (dxy,) = autograd.grad(gx, y, retain_graph=True)     # d/dy (2 x y) = 2 x
    (dyy,) = autograd.grad(gy, y)                        # -sin(y)
    close(dxy.item(), 3.0)
    close(dyy.item(), -np.sin(-2.0))


def _sin_exp(m, x):
    return m.sum(m.sin(x) * m.exp(x))


def test_second_derivative_sin_exp_against_jax():
    x0 = rng_for("sin_exp").uniform(-2, 2, 5)
    x = t64(x0, requires_grad=True)
    y = (x.sin() * x.exp()).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    close(arr(g), jax.jit(jax.grad(lambda v: _sin_exp(jnp, v)))(x0))
    (diag,) = autograd.grad(g, x, dualrev.ones(5, dtype=F64))   # Hessian is diagonal
    ref = jax.jit(jax.grad(lambda v: jnp.sum(jax.grad(lambda u: _sin_exp(jnp, u))(v))))(x0)
    close(arr(diag), ref)
    close(arr(diag), 2 * np.cos(x0) * np.exp(x0))                 # closed form


def test_hessian_vector_product_tanh_matmul_against_jax():
    rng = rng_for("tanh_matmul")
    A0, x0, v0 = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=3)

    def f(m, x):
        return m.sum(m.tanh(A0 @ x) ** 2)

    x = t64(x0, requires_grad=True)
    y = ((t64(A0) @ x).tanh() ** 2).sum()
    (g,) = autograd.grad(y, x, create_graph=True)
    (hv,) = autograd.grad(g, x, t64(v0))
    ref, H = jax.jit(lambda u, t: (jax.jvp(jax.grad(lambda a: f(jnp, a)), (u,), (t,))[1],
                                   jax.hessian(lambda a: f(jnp, a))(u)))(x0, v0)
    close(arr(hv), ref, rtol=1e-10)
    close(arr(hv), np.asarray(H) @ v0, rtol=1e-10)


def test_hessian_vector_product_of_an_mlp_loss_against_jax():
    rng = rng_for("mlp_hvp")
    X0, Y0 = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    W10, b10, W20 = rng.normal(size=(3, 5)), rng.normal(size=5), rng.normal(size=(5, 2))
    V0 = rng.normal(size=W10.shape)

    def loss_jax(W1):
        h = jnp.tanh(X0 @ W1 + b10)
        out = jax.nn.sigmoid(h @ W20)
        return jnp.mean((out - Y0) ** 2)

    W1 = t64(W10, requires_grad=True)
    b1, W2 = t64(b10, requires_grad=True), t64(W20, requires_grad=True)
    h = (t64(X0) @ W1 + b1).tanh()
    loss = (((h @ W2).sigmoid() - t64(Y0)) ** 2).mean()
    (g,) = autograd.grad(loss, W1, create_graph=True)
    close(arr(g), jax.jit(jax.grad(loss_jax))(W10), rtol=1e-10)
    (hv,) = autograd.grad(g, W1, t64(V0), retain_graph=True)
    ref = jax.jit(lambda a, t: jax.jvp(jax.grad(loss_jax), (a,), (t,))[1])(W10, V0)
    close(arr(hv), ref, rtol=1e-9, atol=1e-12)
    # backward() of <g, V> accumulates the same product into W1.grad.
    assert W1.grad is None
    (g2,) = autograd.grad(loss, W1, create_graph=True)
    (g2 * t64(V0)).sum().backward()
    close(arr(W1.grad), ref, rtol=1e-9, atol=1e-12)


def test_gradgradcheck_on_an_mlp():
    rng = rng_for("gradgradcheck")
    x = t64(rng.normal(size=(2, 3)), requires_grad=True)
    W = t64(rng.normal(size=(3, 2)), requires_grad=True)
    assert autograd.gradgradcheck(lambda a, b: ((a @ b).tanh() * a.sum()).sum(), (x, W))


# =============================================================================
# 4. autograd.grad and retain_grad
# =============================================================================
# ``autograd.grad`` returns gradients without touching ``.grad``; retain_grad()
# fills a non-leaf's ``.grad``.


def test_autograd_grad_returns_a_tuple_for_several_inputs():
    x, y = t64([1.0, 2.0], requires_grad=True), t64(3.0, requires_grad=True)
    L = (x ** 2 * y).sum()
    res = autograd.grad(L, [x, y])
    assert isinstance(res, tuple) and len(res) == 2
    close(arr(res[0]), 2 * np.array([1.0, 2.0]) * 3.0)
    close(arr(res[1]), 5.0)
    assert res[1].shape == ()
    assert x.grad is None and y.grad is None
    (gx,) = autograd.grad((x * 3).sum(), x)
    assert isinstance(autograd.grad((x * 3).sum(), (x,)), tuple)
    close(arr(gx), [3.0, 3.0])


def test_autograd_grad_with_grad_outputs():
    x = t64([1.0, 2.0, -1.0], requires_grad=True)
    v = np.array([3.0, 5.0, 0.5])
    (g,) = autograd.grad(x ** 2, x, t64(v))
    close(arr(g), 2 * np.array([1.0, 2.0, -1.0]) * v)
    # Several outputs: the VJPs add up.
    y1, y2 = x ** 2, x.sin()
    (g,) = autograd.grad([y1, y2], x, [t64(v), t64(2 * v)])
    close(arr(g), 2 * arr(x) * v + np.cos(arr(x)) * 2 * v)


def test_autograd_grad_allow_unused():
    x, z = t64(2.0, requires_grad=True), t64(1.0, requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match="allow_unused"):
        autograd.grad(y, [x, z], retain_graph=True)
    gx, gz = autograd.grad(y, [x, z], allow_unused=True, retain_graph=True)
    assert gx.item() == 4.0 and gz is None
    gx, gz = autograd.grad(y, [x, z], materialize_grads=True)
    assert gz.item() == 0.0 and gz.shape == z.shape


def test_autograd_grad_input_that_does_not_require_grad():
    x = t64(2.0, requires_grad=True)
    c = t64(3.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        autograd.grad(x * c, [x, c])


def test_autograd_grad_with_respect_to_an_intermediate():
    x = t64([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h ** 2).sum()
    (gh,) = autograd.grad(y, h, retain_graph=True)
    close(arr(gh), 2 * np.array([3.0, 6.0]))
    assert x.grad is None and h._grad is None
    gh, gx = autograd.grad(y, [h, x])
    close(arr(gh), [6.0, 12.0])
    close(arr(gx), [18.0, 36.0])


def test_autograd_grad_does_not_accumulate_into_grad():
    x = t64([1.0, 2.0], requires_grad=True)
    (x ** 2).sum().backward()
    before = arr(x.grad)
    (g,) = autograd.grad((x ** 3).sum(), x)
    close(arr(g), 3 * np.array([1.0, 4.0]))
    np.testing.assert_array_equal(arr(x.grad), before)


def test_backward_with_inputs_accumulates_only_into_them():
    x, y = t64(2.0, requires_grad=True), t64(5.0, requires_grad=True)
    (x * y).backward(inputs=[y])
    assert x.grad is None and y.grad.item() == 2.0


def test_autograd_backward_of_several_tensors():
    x = t64([1.0, 2.0], requires_grad=True)
    autograd.backward([(x ** 2).sum(), (3 * x).sum()])
    close(arr(x.grad), 2 * np.array([1.0, 2.0]) + 3)


def test_retain_grad_fills_a_non_leaf_grad():
    x = t64([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    assert h.retains_grad and not x.retains_grad
    (h ** 2).sum().backward()
    close(arr(h.grad), 2 * np.array([3.0, 6.0]))
    close(arr(x.grad), 3 * 2 * np.array([3.0, 6.0]))


def test_grad_of_a_non_leaf_without_retain_grad_warns():
    x = t64([1.0, 2.0], requires_grad=True)
    h = x * 3
    (h ** 2).sum().backward()
    with pytest.warns(UserWarning, match="not a leaf"):
        assert h.grad is None
    assert x.grad is not None


# =============================================================================
# 5. Graph merging
# =============================================================================
# Tensors from different leaves start different graphs; an operation on
# both merges them into one, and backward() goes through all of it.


def test_two_separate_graphs_merge():
    x, y = t64([1.0, 2.0], requires_grad=True), t64([3.0, 4.0], requires_grad=True)
    a = x * 2
    b = y * 3
    assert graph_of(a) is not graph_of(b)
    c = a * b
    assert graph_of(a) is graph_of(b) is graph_of(c)
    c.sum().backward()
    close(arr(x.grad), 2 * 3 * np.array([3.0, 4.0]))
    close(arr(y.grad), 3 * 2 * np.array([1.0, 2.0]))


def _three_parts(m, x, y, z):
    a = m.sin(x) * 2                          # (3,)
    b = m.exp(y) / 3                          # (2, 3)
    c = m.tanh(z @ z.T)                       # (2, 2) from z (2, 4)
    return m.sum(a * b) + m.sum(c @ b) * m.sum(a)


def test_three_separate_graphs_merge_against_jax():
    rng = rng_for("three_parts")
    x0, y0, z0 = rng.normal(size=3), rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    x, y, z = (t64(v, requires_grad=True) for v in (x0, y0, z0))
    a = x.sin() * 2
    b = y.exp() / 3
    c = (z @ z.T).tanh()
    c = c.exp().log()                         # make c's graph the largest
    graphs = {id(graph_of(t)) for t in (a, b, c)}
    assert len(graphs) == 3
    L = (a * b).sum() + (c @ b).sum() * a.sum()
    assert graph_of(L) is graph_of(a) is graph_of(b) is graph_of(c)
    L.backward()
    ref = jax.jit(jax.grad(lambda *v: _three_parts(jnp, *v), argnums=(0, 1, 2)))(x0, y0, z0)
    close(L.item(), _three_parts(np, x0, y0, z0))
    for t, r in zip((x, y, z), ref):
        close(arr(t.grad), r, rtol=1e-10)


def test_a_leaf_used_in_several_graphs():
    x0 = np.array([0.5, -1.0, 2.0])
    x = t64(x0, requires_grad=True)
    g1 = (x * 2).sum()
    g2 = (x ** 2).sum()
    assert graph_of(g1) is not graph_of(g2)
    g1.backward()
    g2.backward()
    close(arr(x.grad), 2 + 2 * x0)
    # Combined later: one graph, the leaf's two uses add up.
    x.grad = None
    p, q = x * 2, x.sin()
    (p * q).sum().backward()
    close(arr(x.grad), 2 * np.sin(x0) + 2 * x0 * np.cos(x0))


def test_merged_graphs_keep_retain_grad_and_version_checks():
    x, y = t64([1.0, 2.0], requires_grad=True), t64([3.0, 4.0], requires_grad=True)
    a = x * 2
    a.retain_grad()
    b = (y * 3).sin().cos().exp()             # a larger graph: a's is merged into it
    (a * b).sum().backward()
    close(arr(a.grad), arr(b))
    close(arr(x.grad), 2 * arr(b))

    x, y = t64([1.0, 2.0], requires_grad=True), t64([3.0, 4.0], requires_grad=True)
    h = x * 2
    s = h ** 2                                # saves h, in the smaller graph
    b = (y * 3).sin().cos().exp()
    L = (s * b).sum()
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="version"):
        L.backward()


def test_graph_merging_matches_jax_on_a_two_tower_model():
    rng = rng_for("two_tower")
    u0, v0 = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    Wu0, Wv0 = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))

    def f(m, Wu, Wv):
        eu = m.tanh(u0 @ Wu)
        ev = m.tanh(v0 @ Wv)
        return m.mean((m.sum(eu * ev, axis=1) - 1.0) ** 2)

    Wu, Wv = t64(Wu0, requires_grad=True), t64(Wv0, requires_grad=True)
    eu = (t64(u0) @ Wu).tanh()
    ev = (t64(v0) @ Wv).tanh()
    (((eu * ev).sum(dim=1) - 1.0) ** 2).mean().backward()
    ref = jax.jit(jax.grad(lambda a, b: f(jnp, a, b), argnums=(0, 1)))(Wu0, Wv0)
    close(arr(Wu.grad), ref[0], rtol=1e-10)
    close(arr(Wv.grad), ref[1], rtol=1e-10)


# =============================================================================
# 6. Tensor methods against jax.grad and dualrev.grad
# =============================================================================
# Each case is written twice: with Tensor methods (for backward()), and as
# ``ref(m, x)`` over an array namespace (for ``jax.grad`` with jnp and
# ``dualrev.grad`` with dualrev.numpy on plain arrays).


def _w(name, shape):
    return rng_for("w-" + name).normal(size=shape)


W34, W2_12, W234 = _w("34", (3, 4)), _w("2_12", (2, 12)), _w("234", (2, 3, 4))
A23, B45, WSM = _w("A23", (2, 3)), _w("B45", (4, 5)), _w("sm", (3, 4))
W42 = _w("42", (4, 2))
IDX = np.array([0, 2, 2])
X_CLAMP = np.linspace(-1.9, 1.9, 12)[rng_for("clamp").permutation(12)].reshape(3, 4)
X_TIES = np.array([[1.0, 3.0, 3.0, 0.0], [-2.0, 0.5, -2.0, 1.0], [0.0, 2.0, 3.0, -1.0]])


def _softmax(m, x, axis):
    e = m.exp(x)
    return e / m.sum(e, axis=axis, keepdims=True)


def _log_softmax(m, x, axis):
    return x - m.log(m.sum(m.exp(x), axis=axis, keepdims=True))


class Fn:
    """A case: the Tensor-method form, ``ref(m, x)``, the input; ``linear`` if
    the function is linear in x (its Hessian is zero)."""

    def __init__(self, name, tensor_fn, ref, x, linear=False):
        self.name, self.tensor_fn, self.ref, self.x = name, tensor_fn, ref, x
        self.linear = linear

    def __repr__(self):
        return self.name


def _x(name, shape, lo=-2.0, hi=2.0):
    return rng_for("x-" + name).uniform(lo, hi, shape)


def _nonzero(name, shape):
    x = _x(name, shape)
    return np.where(np.abs(x) < 0.1, 0.5, x)


FUNCTIONS = [
    Fn("sum_mean_dim_keepdim",
       lambda x: (x.sin().sum(dim=1, keepdim=True) * x.mean(dim=0)).sum()
       + (x.mean(dim=-1, keepdim=True) ** 2).sum() + x.cos().sum(dim=(0, 1))
       + (x.sum(0) * x.mean()).sum(),
       lambda m, x: m.sum(m.sum(m.sin(x), axis=1, keepdims=True) * m.mean(x, axis=0))
       + m.sum(m.mean(x, axis=-1, keepdims=True) ** 2) + m.sum(m.cos(x), axis=(0, 1))
       + m.sum(m.sum(x, axis=0) * m.mean(x)),
       _x("sum", (3, 4))),
    Fn("max_min_full_with_ties",
       lambda x: 2 * x.max() + 3 * x.min() + (x * x).sum(),
       lambda m, x: 2 * m.max(x) + 3 * m.min(x) + m.sum(x * x),
       X_TIES),
    Fn("max_min_along_dim",
       lambda x: (x.max(dim=1)[0] * dualrev.tensor(W34[:, 0])).sum()
       + (x.min(dim=0, keepdim=True).values ** 2).sum() + x.amax(dim=1).sum(),
       lambda m, x: m.sum(m.max(x, axis=1) * W34[:, 0])
       + m.sum(m.min(x, axis=0, keepdims=True) ** 2) + m.sum(m.max(x, axis=1)),
       _x("maxdim", (3, 4))),
    Fn("exp_sin_cos_tanh_sigmoid",
       lambda x: (x.exp() * x.sin() + x.cos() * x.tanh() + x.sigmoid() * x).sum(),
       lambda m, x: m.sum(m.exp(x) * m.sin(x) + m.cos(x) * m.tanh(x) + x / (1 + m.exp(-x))),
       _x("unary", (3, 4))),
    Fn("log_sqrt_pow",
       lambda x: (x.log() * x.sqrt() + x.pow(1.5) + x ** 3 / 3 + 2.0 ** x + 1 / x
                  + x ** dualrev.tensor(np.full(4, W34[0, 0] ** 2))).sum(),   # tensor exponent
       lambda m, x: m.sum(m.log(x) * m.sqrt(x) + x ** 1.5 + x ** 3 / 3 + 2.0 ** x + 1 / x
                          + x ** (W34[0, 0] ** 2)),
       _x("pos", (2, 4), 0.3, 2.5)),
    Fn("abs_relu_clamp",
       lambda x: (x.abs() ** 1.5 + x.relu() * x.exp()).sum()
       + (x.clamp(-0.5, 0.7) * dualrev.tensor(W34)).sum()
       + (x.clamp(min=0.2) ** 2).sum() + x.clamp(max=0.1).sum(),
       lambda m, x: m.sum(m.abs(x) ** 1.5 + m.maximum(x, 0.0) * m.exp(x))
       + m.sum(m.minimum(m.maximum(x, -0.5), 0.7) * W34)
       + m.sum(m.maximum(x, 0.2) ** 2) + m.sum(m.minimum(x, 0.1)),
       X_CLAMP),
    Fn("reshape_view_transpose_permute_squeeze_flatten_expand",
       lambda x: (x.permute(2, 0, 1).reshape(4, 6).transpose(0, 1).unsqueeze(0).squeeze(0)
                  .flatten().view(2, 12) * dualrev.tensor(W2_12)).sum()
       + (x[:, :1, :].expand(2, 3, 4) * dualrev.tensor(W234)).sum()
       + (x.reshape(6, 4).T * dualrev.tensor(W2_12.reshape(4, 6))).sum()
       + (x.unsqueeze(-1).squeeze() * dualrev.tensor(W234)).sum(),
       lambda m, x: m.sum(m.reshape(m.ravel(m.squeeze(m.expand_dims(m.swapaxes(
           m.reshape(m.transpose(x, (2, 0, 1)), (4, 6)), 0, 1), 0), 0)), (2, 12)) * W2_12)
       + m.sum(m.broadcast_to(x[:, :1, :], (2, 3, 4)) * W234)
       + m.sum(m.reshape(x, (6, 4)).T * W2_12.reshape(4, 6))
       + m.sum(m.squeeze(m.expand_dims(x, -1)) * W234),
       _x("shape", (2, 3, 4)), linear=True),
    Fn("indexing",
       lambda x: (x[1:, ::2] * dualrev.tensor(W34[:3, :2])).sum()
       + (x[IDX] * dualrev.tensor(W34[:, :3])).sum()
       + (x[dualrev.tensor([3, 0])] ** 2).sum()
       + (x[:, np.array([2, 0])] * dualrev.tensor(W42)).sum()
       + 5 * x[1, 2] + x[-1].exp().sum() + x[..., 1].sin().sum(),
       lambda m, x: m.sum(x[1:, ::2] * W34[:3, :2]) + m.sum(x[IDX] * W34[:, :3])
       + m.sum(x[np.array([3, 0])] ** 2) + m.sum(x[:, np.array([2, 0])] * W42)
       + 5 * x[1, 2] + m.sum(m.exp(x[-1])) + m.sum(m.sin(x[..., 1])),
       _x("index", (4, 3))),
    Fn("matmul",
       lambda x: (((dualrev.tensor(A23) @ x).tanh() @ dualrev.tensor(B45))
                  * dualrev.tensor(WSM[:2, :1])).sum()
       + (x @ x.T).sum() + x.matmul(dualrev.tensor(B45[:, 0])).sin().sum()
       + (x.unsqueeze(0).expand(2, 3, 4) @ dualrev.tensor(B45)).cos().sum(),
       lambda m, x: m.sum(m.matmul(m.tanh(m.matmul(A23, x)), B45) * WSM[:2, :1])
       + m.sum(x @ x.T) + m.sum(m.sin(x @ B45[:, 0]))
       + m.sum(m.cos(m.matmul(m.broadcast_to(x[None], (2, 3, 4)), B45))),
       _x("matmul", (3, 4))),
    Fn("softmax_log_softmax",
       lambda x: (x.softmax(dim=-1) * dualrev.tensor(WSM)).sum()
       + (x.log_softmax(dim=0) * dualrev.tensor(WSM) ** 2).sum()
       + (dualrev.softmax(x, 1) * x).sum(),
       lambda m, x: m.sum(_softmax(m, x, -1) * WSM) + m.sum(_log_softmax(m, x, 0) * WSM ** 2)
       + m.sum(_softmax(m, x, 1) * x),
       _x("softmax", (3, 4))),
    Fn("mlp_loss",
       lambda x: (((x @ dualrev.tensor(B45) + 0.1).tanh() @ dualrev.tensor(B45.T)).sigmoid()
                  - dualrev.tensor(WSM)).pow(2).mean(),
       lambda m, x: m.mean((1 / (1 + m.exp(-(m.tanh(x @ B45 + 0.1) @ B45.T))) - WSM) ** 2),
       _x("mlp", (3, 4))),
    Fn("prod_neg_div_sub",
       lambda x: x.prod(dim=1).sum() + (-x / (1 + x * x)).sum() - (x - x.exp()).neg().mean()
       + dualrev.sum(dualrev.exp(x) * dualrev.tanh(x)),
       lambda m, x: m.sum(m.prod(x, axis=1)) + m.sum(-x / (1 + x * x))
       - m.mean(-(x - m.exp(x))) + m.sum(m.exp(x) * m.tanh(x)),
       _nonzero("prod", (3, 4))),
]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=repr)
def test_tensor_backward_matches_jax_and_functional_api(fn):
    x0 = np.array(fn.x, dtype=np.float64)
    x = t64(x0, requires_grad=True)
    y = fn.tensor_fn(x)
    assert y.shape == () and y.dtype == np.float64
    close(y.item(), float(fn.ref(np, x0)), rtol=1e-12)
    y.backward()
    ref_jax = np.asarray(jax.jit(jax.grad(lambda v: fn.ref(jnp, v)))(x0))
    ref_fun = dualrev.grad(lambda v: fn.ref(dnp, v))(x0)
    assert x.grad.shape == x0.shape and x.grad.dtype == np.float64
    close(arr(x.grad), ref_jax, rtol=1e-10, atol=1e-12)
    close(ref_fun, ref_jax, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn", FUNCTIONS, ids=repr)
def test_tensor_hessian_vector_product_matches_jax(fn):
    """Second derivatives of the same cases: autograd.grad twice (create_graph)."""
    x0 = np.array(fn.x, dtype=np.float64)
    v0 = rng_for("hvp-" + fn.name).normal(size=x0.shape)
    x = t64(x0, requires_grad=True)
    (g,) = autograd.grad(fn.tensor_fn(x), x, create_graph=True)
    ref = jax.jit(lambda a, t: jax.jvp(jax.grad(lambda u: fn.ref(jnp, u)), (a,), (t,))[1])(
        x0, v0)
    if fn.linear:
        # A constant gradient records nothing (as PyTorch): no second derivative to take.
        assert not g.requires_grad
        np.testing.assert_array_equal(np.asarray(ref), 0.0)
        return
    assert g.requires_grad
    (hv,) = autograd.grad(g, x, t64(v0))
    close(arr(hv), ref, rtol=1e-9, atol=1e-12)


def test_max_along_dim_gives_the_gradient_to_the_returned_index():
    """With ties, the gradient of max(dim) goes to the index returned, not split."""
    x = t64(X_TIES, requires_grad=True)
    values, indices = x.max(dim=1)
    np.testing.assert_array_equal(indices.numpy(), np.argmax(X_TIES, axis=1))
    np.testing.assert_array_equal(arr(values), X_TIES.max(axis=1))
    upstream = np.array([1.0, 10.0, 100.0])
    (values * t64(upstream)).sum().backward()
    expected = np.zeros_like(X_TIES)
    expected[np.arange(3), indices.numpy()] = upstream
    np.testing.assert_array_equal(arr(x.grad), expected)

    x = t64(X_TIES, requires_grad=True)
    values, indices = x.min(dim=0, keepdim=True)
    assert values.shape == (1, 4) and indices.shape == (1, 4)
    values.sum().backward()
    expected = np.zeros_like(X_TIES)
    expected[indices.numpy()[0], np.arange(4)] = 1.0
    np.testing.assert_array_equal(arr(x.grad), expected)


def test_full_max_splits_ties_evenly():
    x = t64([[1.0, 3.0], [3.0, 3.0]], requires_grad=True)
    x.max().backward()
    close(arr(x.grad), [[0.0, 1 / 3], [1 / 3, 1 / 3]])


# =============================================================================
# 7. The adjoint identity
# =============================================================================
# For y = f(x) and random v, w: <J v, w> == <v, J^T w>, with J^T w from
# ``autograd.grad(y, x, w)`` and J v from jax.jvp (and a central difference).

ADJOINT = {
    "tanh_matmul": (lambda x: (t64(A23) @ x).tanh() * x[:2].sum(dim=1, keepdim=True),
                    lambda m, x: m.tanh(A23 @ x) * m.sum(x[:2], axis=1, keepdims=True),
                    (3, 4)),
    "softmax_rows": (lambda x: x.softmax(dim=1) * x,
                     lambda m, x: _softmax(m, x, 1) * x, (3, 4)),
    "shape_ops": (lambda x: x.permute(1, 0).reshape(2, 6)[:, ::2].exp() + x.T[0:2, 1:4],
                  lambda m, x: m.exp(m.reshape(m.transpose(x, (1, 0)), (2, 6))[:, ::2])
                  + m.transpose(x)[0:2, 1:4], (4, 3)),
    "reductions": (lambda x: x.sin().sum(dim=0) * x.mean(dim=0) ** 2,
                   lambda m, x: m.sum(m.sin(x), axis=0) * m.mean(x, axis=0) ** 2, (3, 4)),
}


@functools.lru_cache(maxsize=None)
def _jitted_jvp(name):
    ref = ADJOINT[name][1]
    return jax.jit(lambda x, v: jax.jvp(lambda u: ref(jnp, u), (x,), (v,)))


@pytest.mark.parametrize("name", sorted(ADJOINT))
@settings(max_examples=5, **HYP)
@given(seed=st.integers(0, 2 ** 32 - 1))
def test_adjoint_identity(name, seed):
    tensor_fn, ref, shape = ADJOINT[name]
    rng = np.random.default_rng(seed)
    x0, v = rng.normal(size=shape), rng.normal(size=shape)
    x = t64(x0, requires_grad=True)
    y = tensor_fn(x)
    w = rng.normal(size=y.shape)
    (vjp,) = autograd.grad(y, x, t64(w))
    y0, jv = _jitted_jvp(name)(x0, v)
    close(arr(y), y0, rtol=1e-12)
    lhs, rhs = float(np.sum(np.asarray(jv) * w)), float(np.sum(v * arr(vjp)))
    close(lhs, rhs, rtol=1e-10, atol=1e-12)
    eps = 1e-6
    fd = (arr(tensor_fn(t64(x0 + eps * v))) - arr(tensor_fn(t64(x0 - eps * v)))) / (2 * eps)
    close(float(np.sum(fd * w)), rhs, rtol=1e-6, atol=1e-7)


# =============================================================================
# 8. Tensor basics
# =============================================================================
# Dtypes, leaves, grad_fn, conversions and printing, as PyTorch.


def test_dtype_defaults():
    assert dualrev.tensor(3.0).dtype == np.float32
    assert dualrev.tensor([1.0, 2.0]).dtype == np.float32
    assert dualrev.tensor(np.array([1.0, 2.0])).dtype == np.float64
    assert dualrev.tensor(np.float64(2.0)).dtype == np.float64
    assert dualrev.tensor([1, 2]).dtype == np.int64
    assert dualrev.tensor([True, False]).dtype == np.bool_
    assert dualrev.randn(2, 3).dtype == np.float32
    assert dualrev.zeros(2).dtype == np.float32
    assert dualrev.tensor([1, 2], dtype=dualrev.float64).dtype == np.float64
    assert dualrev.get_default_dtype() == np.float32
    # Results follow their inputs: a float32 gradient for a float32 leaf.
    x = dualrev.tensor([1.0, 2.0], requires_grad=True)
    (x * np.float64(2.0)).sum().backward()
    assert x.grad.dtype == np.float32


def test_requires_grad_needs_a_floating_dtype():
    with pytest.raises(RuntimeError, match="floating point"):
        dualrev.tensor([1, 2], requires_grad=True)
    t = dualrev.tensor([1, 2])
    with pytest.raises(RuntimeError, match="floating point"):
        t.requires_grad_()
    assert not t.requires_grad


def test_leaves_and_grad_fn():
    x = dualrev.tensor(3.0, requires_grad=True)
    c = dualrev.tensor(2.0)
    assert x.is_leaf and c.is_leaf and x.requires_grad and not c.requires_grad
    assert x.grad_fn is None and c.grad_fn is None
    y = x ** 2
    assert not y.is_leaf and y.requires_grad
    assert y.grad_fn is not None and "Power" in repr(y.grad_fn)
    assert "Multiply" in repr((x * c).grad_fn)
    assert "Exp" in repr(x.exp().grad_fn)
    assert (c * 2).is_leaf and (c * 2).grad_fn is None     # nothing recorded
    z = y + 1
    (fn, _), (const, _) = z.grad_fn.next_functions
    assert "Power" in repr(fn) and const is None


def test_detach_and_conversions():
    x = dualrev.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    np.testing.assert_array_equal(d.numpy(), [[2.0, 4.0, 6.0], [8.0, 10.0, 12.0]])
    assert d.tolist() == [[2.0, 4.0, 6.0], [8.0, 10.0, 12.0]]
    assert x.shape == (2, 3) and x.ndim == 2 and x.dim() == 2
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-2) == 2
    assert x.numel() == 6 and x.dtype == np.float32
    assert x.T.shape == (3, 2)
    np.testing.assert_array_equal(arr(x.T), arr(x).T)
    assert x[1, 2].item() == 6.0 and isinstance(x[1, 2].item(), float)
    assert isinstance(dualrev.tensor([7]).item(), int)
    with pytest.raises(RuntimeError, match="cannot be converted"):
        x.item()
    with pytest.raises(RuntimeError, match="requires grad"):
        x.numpy()
    with pytest.raises(RuntimeError, match="requires grad"):
        y.numpy()
    # detach() shares memory with the original.
    a = dualrev.tensor([1.0, 2.0], requires_grad=True)
    a.detach().zero_()
    np.testing.assert_array_equal(arr(a), [0.0, 0.0])


REPRS_FROM_PYTORCH = [
    ("tensor(6.)", lambda: dualrev.tensor(6.0)),
    ("tensor([2., 4., 6.])", lambda: dualrev.tensor([2.0, 4.0, 6.0])),
    ("tensor(3., requires_grad=True)", lambda: dualrev.tensor(3.0, requires_grad=True)),
    ("tensor(3., dtype=float64)", lambda: dualrev.tensor(3.0, dtype=F64)),
    ("tensor([1, 2, 3])", lambda: dualrev.tensor([1, 2, 3])),
    ("tensor([[ 1.5000, -2.2500],\n        [ 0.1000,  3.0000]])",
     lambda: dualrev.tensor([[1.5, -2.25], [0.1, 3.0]])),
    ("tensor([1.0000e-05, 2.0000e+00])", lambda: dualrev.tensor([1e-5, 2.0])),
    ("tensor([1.5000, 2.0000], dtype=float64, requires_grad=True)",
     lambda: dualrev.tensor([1.5, 2.0], dtype=F64, requires_grad=True)),
    ("tensor([nan, 1., inf])", lambda: dualrev.tensor([float("nan"), 1.0, float("inf")])),
    ("tensor([   0,    1,    2,  ..., 1197, 1198, 1199])",
     lambda: dualrev.tensor(list(range(1200)))),
    ("tensor([], size=(1, 0))", lambda: dualrev.tensor([[]])),
]


@pytest.mark.parametrize("expected, make", REPRS_FROM_PYTORCH)
def test_repr_as_pytorch_prints_it(expected, make):
    assert repr(make()) == expected


def test_repr_of_results_shows_grad_fn():
    x = dualrev.tensor(3.0, requires_grad=True)
    r = repr(x ** 2)
    assert re.fullmatch(r"tensor\(9\., grad_fn=<\w*Power\w*>\)", r), r
    x = dualrev.tensor([1.0, 2.0], dtype=F64, requires_grad=True)
    r = repr(x * 2)
    assert re.fullmatch(r"tensor\(\[2\., 4\.\], dtype=float64, grad_fn=<\w+>\)", r), r
    with dualrev.no_grad():
        assert repr(x * 2) == "tensor([2., 4.], dtype=float64)"


TORCH_REPR_CASES = ["tensor(6.)", "tensor([2., 4., 6.])", "tensor(3., requires_grad=True)",
                    "tensor(3., dtype=float64)", "tensor([[1.5, -2.25], [1e-5, 3.]])",
                    "tensor([0.001, 1000.])", "tensor([123456789., 1.])",
                    "tensor([-1., 2.5], dtype=float64)", "tensor([[1, 2], [3, 40000]])",
                    "tensor([1., 2.], requires_grad=True) ** 2",
                    "(tensor([1., 2.], dtype=float64, requires_grad=True) * 3).sum()"]


@pytest.mark.parametrize("expr", TORCH_REPR_CASES)
def test_repr_against_torch(expr):
    torch = pytest.importorskip("torch")

    def norm(s):
        return re.sub(r"grad_fn=<\w+>", "grad_fn=<>", s.replace("torch.", ""))

    def run(mod):
        return eval(expr, {"tensor": mod.tensor, "float64": mod.float64})

    assert norm(repr(run(dualrev))) == norm(repr(run(torch)))


def test_seed_gradients_against_torch():
    torch = pytest.importorskip("torch")
    rng = rng_for("seed_torch")
    X0 = rng.normal(size=(5, 3))
    W0, b0 = rng.normal(size=(4, 3)), rng.normal(size=4)

    def run(mod):
        x = mod.tensor(3.0, requires_grad=True)
        ((x + 1) ** 2).backward()
        W = mod.tensor(W0, requires_grad=True)
        b = mod.tensor(b0, requires_grad=True)
        L = ((mod.tensor(X0) @ W.T + b).tanh() ** 2).sum()
        L.backward()
        return x.grad.item(), W.grad.detach().numpy(), b.grad.detach().numpy()

    ours, theirs = run(dualrev), run(torch)
    assert ours[0] == theirs[0] == 8.0
    close(ours[1], theirs[1], rtol=1e-12)
    close(ours[2], theirs[2], rtol=1e-12)


# =============================================================================
# 9. Memory
# =============================================================================
# Graphs live as long as some tensor refers to them, and no longer.


def test_training_loop_does_not_keep_graphs_alive():
    gc.collect()
    open_before = dualrev.core._open_traces[0]
    dualrev.manual_seed(seed_for("memory"))
    W = dualrev.randn(4, 3, requires_grad=True)
    b = dualrev.zeros(3, requires_grad=True)
    X, Y = dualrev.randn(8, 4), dualrev.randn(8, 3)
    refs = []
    for _ in range(5):
        loss = (((X @ W + b).tanh() - Y) ** 2).mean()
        refs.append(weakref.ref(graph_of(loss)))
        W.grad = b.grad = None
        loss.backward()
        with dualrev.no_grad():
            W.sub_(0.1 * W.grad)
            b.sub_(0.1 * b.grad)
        del loss
    gc.collect()
    assert [r() for r in refs] == [None] * 5
    assert dualrev.core._open_traces[0] == open_before
    assert W.is_leaf and W.grad is not None and not W.grad.requires_grad


def test_graph_freed_with_its_last_tensor_without_backward():
    x = dualrev.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = (h * 3).sum()
    r = weakref.ref(graph_of(y))
    del h
    gc.collect()
    assert r() is not None               # y still refers to it
    del y
    gc.collect()
    assert r() is None
    assert x.grad is None


def test_merged_graph_freed():
    x, y = dualrev.tensor(1.0, requires_grad=True), dualrev.tensor(2.0, requires_grad=True)
    a, b = x * 2, y * 3
    ra, rb = weakref.ref(graph_of(a)), weakref.ref(graph_of(b))
    c = a * b
    del a, b
    c.backward()
    del c
    gc.collect()
    assert ra() is None and rb() is None
    assert (x.grad.item(), y.grad.item()) == (12.0, 6.0)    # c = 6 x y


@pytest.mark.parametrize("expr", ["nothing_saved", "saved_output", "saved_intermediate"])
def test_graph_is_freed_by_reference_counting(expr):
    """A graph goes with its last tensor, without the cyclic collector: it holds no
    reference back to itself, whether or not its entries saved values."""
    x = dualrev.tensor([1.0, 2.0], requires_grad=True)
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        y = {"nothing_saved": lambda: (x * 2 + 1).sum(),
             "saved_output": lambda: x.tanh().sum(),
             "saved_intermediate": lambda: ((x * 2) ** 2).sum()}[expr]()
        r = weakref.ref(graph_of(y))
        y.backward()
        del y
        assert r() is None
    finally:
        if was_enabled:
            gc.enable()
        gc.collect()


def test_leaf_changed_after_create_graph_backward_raises_when_the_recorded_backward_needs_it():
    """The recorded backward of create_graph keeps the leaf's value (3x² reads x): an
    optimizer-style in-place update of the leaf afterwards makes differentiating the
    gradient raise, as PyTorch; a gradient that does not read the leaf stays usable."""
    x = dualrev.tensor([1.0, 2.0], requires_grad=True)
    g, = dualrev.autograd.grad((x ** 3).sum(), x, create_graph=True)
    with dualrev.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match="version 1; expected version 0"):
        g.sum().backward()
    w = dualrev.tensor([1.0, 2.0], requires_grad=True)
    h, = dualrev.autograd.grad((w * 3.0).sum() + (w * w).sum(), w, create_graph=True)
    with dualrev.no_grad():
        w.mul_(2.0)
    h.sum().backward()                       # d/dw sum(3 + 2w) = 2, reads nothing saved
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0])


# ============================================================================ against PyTorch's semantics
# Cases where an earlier version differed from PyTorch (found by running random
# programs in both); the expected values are PyTorch's, worked out by hand.

def test_in_place_under_no_grad_on_a_slice_of_a_leaf_writes_the_leaf():
    a = t64([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    row = a[0]
    with dualrev.no_grad():
        row.zero_()
    np.testing.assert_array_equal(arr(a), [[0.0, 0.0], [3.0, 4.0]])


def test_ipow_is_in_place():
    a = t64([1.0, 2.0], requires_grad=True)
    b = a.clone()
    c = b
    c **= 2
    np.testing.assert_array_equal(arr(b), [1.0, 4.0])
    with pytest.raises(RuntimeError, match="leaf"):
        a **= 2


def test_retain_grad_follows_the_tensor_through_an_in_place_operation():
    a = t64([1.0, 2.0], requires_grad=True)
    y = a * 2
    y.retain_grad()
    y.mul_(3)
    (y * y).sum().backward()
    np.testing.assert_array_equal(arr(y.grad), [12.0, 24.0])      # 2y at y = 6a


def test_retained_gradients_are_filled_by_autograd_grad_too():
    a = t64([1.0, 2.0], requires_grad=True)
    y = a * 2
    y.retain_grad()
    autograd.grad((y * y * 1.5).sum(), a)
    np.testing.assert_array_equal(arr(y.grad), [6.0, 12.0])


def test_setitem_with_repeated_rows_gives_the_value_its_own_shape_of_gradient():
    """Row 0 is written twice with b; the write that stays is b, once: d(y + b)/db = 2
    (as JAX and finite differences; PyTorch counts both writes and gives 3)."""
    a = t64([[1.0, 2.0, 3.0]], requires_grad=True)
    b = t64([[4.0, 5.0, 6.0]], requires_grad=True)
    y = a * 1
    y[[0, 0]] = b
    (y + b).sum().backward()
    np.testing.assert_array_equal(arr(b.grad), [[2.0, 2.0, 2.0]])
    np.testing.assert_array_equal(arr(a.grad), [[0.0, 0.0, 0.0]])


def test_an_element_is_a_view_and_detach_shares_memory_for_0d_results():
    p = t64([1.0, 2.0, 3.0])
    p[0].zero_()
    np.testing.assert_array_equal(arr(p), [0.0, 2.0, 3.0])
    v = t64(2.0, requires_grad=True) * 3
    v.detach().zero_()
    assert v.item() == 0.0


def test_in_place_on_an_expanded_tensor_raises_instead_of_writing_nowhere():
    p = t64([[1.0, 2.0]])
    with pytest.raises(RuntimeError, match="read-only"):
        p.expand(3, 2).add_(1.0)


def test_nan_passes_through_clamp_and_relu():
    out = t64([np.nan, 0.5, 3.0]).clamp(-1, 1)
    assert np.isnan(arr(out)[0]) and list(arr(out)[1:]) == [0.5, 1.0]
    assert np.isnan(arr(t64([np.nan]).relu())[0])
    with pytest.raises(ValueError, match="min"):
        t64([1.0]).clamp()


def test_norm_at_the_zero_vector_has_gradient_zero():
    z = dualrev.zeros(3, dtype=F64, requires_grad=True)
    z.norm().backward()
    np.testing.assert_array_equal(arr(z.grad), [0.0, 0.0, 0.0])


def test_two_create_graph_backwards_through_graphs_sharing_a_leaf():
    a = t64([1.0, 2.0], requires_grad=True)
    (a * a).sum().backward(create_graph=True)
    (a * a).sum().backward(create_graph=True)
    np.testing.assert_array_equal(arr(a.grad), [4.0, 8.0])


def test_in_place_operation_whose_own_entry_keeps_the_old_value():
    a = t64([1.0, 2.0], requires_grad=True)
    b = t64([3.0, 4.0], requires_grad=True)
    y = a * 1
    y.mul_(b)
    y.sum().backward()
    np.testing.assert_array_equal(arr(a.grad), [3.0, 4.0])
    np.testing.assert_array_equal(arr(b.grad), [1.0, 2.0])
    c = t64([1.0, 2.0], requires_grad=True)
    z = c * 1
    z.pow_(2)
    z.sum().backward()
    np.testing.assert_array_equal(arr(c.grad), [2.0, 4.0])


def test_autograd_grad_pulls_back_only_towards_its_inputs():
    a = t64([1.0, 2.0], requires_grad=True)
    h = a.exp()
    g, = autograd.grad((h * h).sum(), h)               # frees nothing below h
    np.testing.assert_array_equal(arr(g), 2 * np.exp([1.0, 2.0]))
    h.sum().backward()
    close(arr(a.grad), np.exp([1.0, 2.0]))


def test_changes_through_data_are_not_counted():
    a = t64([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    a.data.mul_(2)                                      # as PyTorch: unseen by autograd
    y.backward()
    np.testing.assert_array_equal(arr(a.grad), [4.0, 8.0])


def test_cat_keeps_no_values_so_in_place_changes_around_it_are_fine():
    a = t64([1.0, 2.0], requires_grad=True)
    b = a * 1
    c = dualrev.cat([b, b * 2])
    c.add_(1.0)
    b.add_(1.0)
    c.sum().backward()
    np.testing.assert_array_equal(arr(a.grad), [3.0, 3.0])


def test_a_view_that_changes_nothing_is_still_a_new_tensor():
    a = t64([1.0, 2.0], requires_grad=True)
    for v in (a.reshape(2), a.view(2), a.squeeze(), a.t(), a.T, a.permute(0), a.expand(2),
              a.transpose(0, 0), a.flatten()):
        assert v is not a and not v.is_leaf and v.requires_grad
    v = a.reshape(2)
    y = (v * 3).sum()
    g = autograd.grad(y, [a, a.reshape(2)], allow_unused=True)
    np.testing.assert_array_equal(arr(g[0]), [3.0, 3.0])
    assert g[1] is None                                  # a new view, not used by y
