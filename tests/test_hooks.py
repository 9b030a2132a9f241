"""Tensor.register_hook and nn.Module's forward, forward pre- and full backward hooks.

Each scenario is written once for a library namespace (dualrev or torch): it is
checked against closed forms with dualrev, and run with PyTorch too when it is
installed, on the same float64 inputs, with every result compared.
"""
import warnings

import numpy as np
import pytest

import dualrev
from dualrev import nn

X = np.array([1.0, 2.0, -0.5])


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def T(lib, a, rg=False, dtype=None):
    return lib.tensor(np.asarray(a, dtype=np.float64 if dtype is None else dtype),
                      requires_grad=rg)


def N(x):
    """A tensor's values as a NumPy array (None stays None), recursively in lists/tuples."""
    if x is None:
        return None
    if isinstance(x, (list, tuple)):
        return [N(e) for e in x]
    if isinstance(x, dict):
        return {k: N(v) for k, v in x.items()}
    if isinstance(x, (int, float, str, bool)):
        return x
    x = x.detach()
    if hasattr(x, "resolve_conj"):
        x = x.resolve_conj()
    return np.array(x.numpy())


def same(a, b, path="result"):
    """Equal results: arrays (a nested list of numbers may stand for one) by value,
    lists element by element, other values by ==."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert a is not None and b is not None, f"{path}: {a!r} vs {b!r}"
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape, f"{path}: shapes {a.shape} vs {b.shape}"
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, err_msg=path)
    elif isinstance(a, list) and isinstance(b, list):
        assert len(a) == len(b), f"{path}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            same(a[k], b[k], f"{path}[{k!r}]")
    else:
        assert a == b, f"{path}: {a!r} vs {b!r}"


def run(scenario):
    """The scenario's results with dualrev, compared with PyTorch's when it is installed."""
    ours = N(scenario(dualrev))
    torch = _torch()
    if torch is not None:
        same(ours, N(scenario(torch)))
    return ours


# ============================================================================ tensor hooks

def test_leaf_hook_doubles_the_gradient():
    def sc(lib):
        x = T(lib, X, rg=True)
        x.register_hook(lambda g: g * 2)
        (x * x).sum().backward()
        return [x.grad]
    (g,) = run(sc)
    np.testing.assert_allclose(g, 4 * X)


def test_hooks_run_in_registration_order_each_given_the_previous_result():
    def sc(lib):
        x = T(lib, X, rg=True)
        seen = []
        h1 = x.register_hook(lambda g: (seen.append(("h1", g.clone())), g * 2)[1])
        x.register_hook(lambda g: (seen.append(("h2", g.clone())), g + 1)[1])
        (x * 3).sum().backward()
        first = [x.grad.clone(), seen[:]]
        seen.clear()
        h1.remove()
        h1.remove()                      # removing again does nothing
        x.grad = None
        (x * 3).sum().backward()
        return first + [x.grad, seen]
    g1, seen1, g2, seen2 = run(sc)
    assert [s[0] for s in seen1] == ["h1", "h2"] and [s[0] for s in seen2] == ["h2"]
    np.testing.assert_allclose(seen1[0][1], 3.0 + 0 * X)
    np.testing.assert_allclose(seen1[1][1], 6.0 + 0 * X)
    np.testing.assert_allclose(g1, 7.0 + 0 * X)
    np.testing.assert_allclose(g2, 4.0 + 0 * X)


def test_handle_as_context_manager():
    def sc(lib):
        x = T(lib, X, rg=True)
        with x.register_hook(lambda g: g * 10):
            (x * 1).sum().backward()
        first = x.grad.clone()
        (x * 1).sum().backward()
        return [first, x.grad]
    first, second = run(sc)
    np.testing.assert_allclose(first, 10.0 + 0 * X)
    np.testing.assert_allclose(second, 11.0 + 0 * X)


def test_non_leaf_hook_replaces_the_gradient_pulled_back():
    def sc(lib):
        x = T(lib, X, rg=True)
        y = x * x
        seen = []
        y.register_hook(lambda g: (seen.append(g.clone()), g * 2 + 100)[1])
        (y * 3).sum().backward()
        return [x.grad, seen]
    g, seen = run(sc)
    np.testing.assert_allclose(seen[0], 3.0 + 0 * X)
    np.testing.assert_allclose(g, 2 * X * 106)


@pytest.mark.parametrize("retain_first", [True, False])
def test_retain_grad_sees_the_hooked_gradient_whatever_the_order(retain_first):
    def sc(lib):
        x = T(lib, X, rg=True)
        z = x * x
        if retain_first:
            z.retain_grad()
        z.register_hook(lambda g: g * 2)
        if not retain_first:
            z.retain_grad()
        z.sum().backward()
        return [z.grad, x.grad]
    zg, xg = run(sc)
    np.testing.assert_allclose(zg, 2.0 + 0 * X)
    np.testing.assert_allclose(xg, 4 * X)


def test_autograd_grad_applies_leaf_and_non_leaf_hooks():
    def sc(lib):
        x = T(lib, X, rg=True)
        y = x * x
        x.register_hook(lambda g: g * 10)
        y.register_hook(lambda g: g + 1)
        out = (y * 3).sum()
        gx = lib.autograd.grad(out, x, retain_graph=True)
        gy = lib.autograd.grad(out, y)
        return [gx[0], gy[0], x.grad]
    gx, gy, accumulated = run(sc)
    np.testing.assert_allclose(gx, 10 * 2 * X * 4)
    np.testing.assert_allclose(gy, 4.0 + 0 * X)
    assert accumulated is None
    # Both at once: the same gradients.  (PyTorch 2.13 gives y's gradient without its
    # hook here, because its engine captures it before running the hook when it must
    # go on past y; dualrev gives the hooked one whichever inputs are asked for.)
    x = T(dualrev, X, rg=True)
    y = x * x
    x.register_hook(lambda g: g * 10)
    y.register_hook(lambda g: g + 1)
    same(N(list(dualrev.autograd.grad((y * 3).sum(), [x, y]))), [gx, gy])


def test_hook_on_the_output_changes_the_seed():
    def sc(lib):
        x = T(lib, X, rg=True)
        r = (x * x).sum()
        r.register_hook(lambda g: g * 5)
        r.backward()
        return [x.grad]
    (g,) = run(sc)
    np.testing.assert_allclose(g, 10 * X)


def test_hook_runs_once_on_the_summed_gradient():
    def sc(lib):
        x = T(lib, X, rg=True)
        v = x * 2
        seen = []
        v.register_hook(lambda g: seen.append(g.clone()))
        (v * v + v).sum().backward()
        # a leaf used by two computations recorded apart, then joined
        w = T(lib, X, rg=True)
        seen_w = []
        w.register_hook(lambda g: (seen_w.append(g.clone()), g * 2)[1])
        ((w * 2) + (w * 3)).sum().backward()
        return [seen, seen_w, w.grad]
    seen, seen_w, wg = run(sc)
    assert len(seen) == 1 and len(seen_w) == 1
    np.testing.assert_allclose(seen[0], 2 * (2 * X) + 1)
    np.testing.assert_allclose(seen_w[0], 5.0 + 0 * X)
    np.testing.assert_allclose(wg, 10.0 + 0 * X)


def test_hook_survives_its_graph_being_merged_into_a_larger_one():
    def sc(lib):
        x = T(lib, X, rg=True)
        y = x * x                            # recorded apart from z's longer chain
        y.register_hook(lambda g: g * 10)
        z = T(lib, X, rg=True)
        big = z
        for _ in range(5):
            big = big * 1.5 + 0.1
        (y * big).sum().backward()           # one graph for both now
        return [x.grad, z.grad]
    xg, zg = run(sc)
    big = X.copy()
    for _ in range(5):
        big = big * 1.5 + 0.1
    np.testing.assert_allclose(xg, 10 * big * 2 * X)
    np.testing.assert_allclose(zg, X * X * 1.5 ** 5)


def test_hooks_with_retain_graph_run_at_each_backward():
    def sc(lib):
        x = T(lib, X, rg=True)
        x.register_hook(lambda g: g * 2)
        y = x * 1
        calls = []
        y.register_hook(lambda g: calls.append(1))
        q = y.sum()
        q.backward(retain_graph=True)
        q.backward()
        return [x.grad, len(calls)]
    g, n = run(sc)
    np.testing.assert_allclose(g, 4.0 + 0 * X)
    assert n == 2


def test_hook_may_change_the_gradient_in_place():
    def sc(lib):
        b = T(lib, X, rg=True)
        b.register_hook(lambda g: g.mul_(3))
        (b * 1).sum().backward()
        return [b.grad]
    (g,) = run(sc)
    np.testing.assert_allclose(g, 3.0 + 0 * X)


def test_hook_result_is_not_aliased_by_grad():
    kept = dualrev.tensor(np.ones(3))
    x = T(dualrev, X, rg=True)
    x.register_hook(lambda g: kept)
    (x * 1).sum().backward()
    (x * 1).sum().backward()
    np.testing.assert_allclose(N(x.grad), 2.0 + 0 * X)
    np.testing.assert_allclose(N(kept), 1.0 + 0 * X)


def test_backward_with_inputs_runs_only_the_hooks_on_the_way():
    def sc(lib):
        x = T(lib, X, rg=True)
        a = T(lib, [3.0], rg=True)
        fired = []
        y = x * 2
        y.register_hook(lambda g: fired.append("y"))
        w = a * 1
        w.register_hook(lambda g: (fired.append("w"), g * 7)[1])
        (y * w).sum().backward(inputs=[a])
        return [fired, a.grad, x.grad]
    fired, ag, xg = run(sc)
    assert fired == ["w"]
    np.testing.assert_allclose(ag, [7 * 2 * X.sum()])
    assert xg is None


def test_create_graph_hooks_see_recorded_gradients():
    def sc(lib):
        x = T(lib, X, rg=True)
        u = x ** 3
        seen = []
        u.register_hook(lambda g: (seen.append(g), g * x)[1])
        (g,) = lib.autograd.grad(u.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        # a hook returning a product with another leaf: differentiable in that leaf
        b = T(lib, X, rg=True)
        c = T(lib, [5.0, 7.0, 9.0], rg=True)
        ub = b * 1
        ub.register_hook(lambda g: g * c)
        (gb,) = lib.autograd.grad(ub.sum(), b, create_graph=True)
        (gc,) = lib.autograd.grad((gb * gb).sum(), c)
        return [g, gg, seen[0], gb, gc, g.requires_grad]
    g, gg, seen, gb, gc, rg = run(sc)
    np.testing.assert_allclose(g, 3 * X ** 3)            # (3x²)·x
    np.testing.assert_allclose(gg, 9 * X ** 2)
    np.testing.assert_allclose(seen, 1.0 + 0 * X)
    np.testing.assert_allclose(gc, 2 * np.array([5.0, 7.0, 9.0]))
    assert rg is True


def test_create_graph_hook_on_a_leaf():
    def sc(lib):
        x = T(lib, X, rg=True)
        x.register_hook(lambda g: g * g)
        (g,) = lib.autograd.grad((x ** 2).sum(), x, create_graph=True)   # (2x)²
        # the hook runs in this backward too: (d/dx 4x²)² = (8x)²
        (gg,) = lib.autograd.grad(g.sum(), x)
        return [g, gg]
    g, gg = run(sc)
    np.testing.assert_allclose(g, 4 * X ** 2)
    np.testing.assert_allclose(gg, 64 * X ** 2)


def test_complex_hooks_see_pytorch_gradients():
    z0 = np.array([1 + 2j, 3 - 1j])

    def sc(lib):
        c = lib.tensor(z0, requires_grad=True)
        cc = c * (2 + 1j)
        seen = []
        cc.register_hook(lambda g: (seen.append(g.clone()), g * 1j)[1])
        leaf_seen = []
        c.register_hook(lambda g: (leaf_seen.append(g.clone()), g)[1])
        (cc.abs() ** 2).sum().backward()
        return [seen, leaf_seen, c.grad]
    seen, leaf_seen, g = run(sc)
    w = z0 * (2 + 1j)
    np.testing.assert_allclose(seen[0], 2 * w)                       # PyTorch's dL/dconj·2
    np.testing.assert_allclose(g, 1j * 2 * w * np.conj(2 + 1j))      # the hooked one, pulled back
    np.testing.assert_allclose(leaf_seen[0], g)


def test_hook_errors():
    x = T(dualrev, X, rg=True)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        T(dualrev, X).register_hook(lambda g: g)
    for hook, err, msg in [
            (lambda g: g.sum(), RuntimeError, r"changed the size of value \(was \[3\] got \[\]\)"),
            (lambda g: g.to(dualrev.float32), RuntimeError, "changed the type of value"),
            (lambda g: 3, TypeError, "returned 'int'")]:
        w = x * 1
        w.register_hook(hook)
        with pytest.raises(err, match=msg):
            w.sum().backward()
    torch = _torch()
    if torch is not None:                  # the same kinds of error
        tx = torch.tensor(X, requires_grad=True)
        with pytest.raises(RuntimeError):
            torch.tensor(X).register_hook(lambda g: g)
        for hook, err in [(lambda g: g.sum(), RuntimeError),
                          (lambda g: g.to(torch.float32), RuntimeError),
                          (lambda g: 3, TypeError)]:
            w = tx * 1
            w.register_hook(hook)
            with pytest.raises(err):
                w.sum().backward()


# ============================================================================ module hooks

def _linear(lib, n_in, n_out, seed=0):
    """A float64 Linear of lib with the same weights for both libraries."""
    rng = np.random.default_rng(seed)
    W, b = rng.normal(size=(n_out, n_in)), rng.normal(size=n_out)
    m = lib.nn.Linear(n_in, n_out).double()
    with lib.no_grad():
        m.weight.copy_(lib.tensor(W))
        m.bias.copy_(lib.tensor(b))
    return m


def _mlp(lib):
    seq = lib.nn.Sequential(_linear(lib, 2, 3, 1), lib.nn.Tanh(), _linear(lib, 3, 1, 2))
    return seq


def test_forward_pre_hooks_replace_arguments():
    def sc(lib):
        lin = _linear(lib, 2, 2)
        x = T(lib, [[1.0, 2.0]])
        seen = []
        h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        h2 = lin.register_forward_pre_hook(lambda m, args: (seen.append(args[0]), args[0] + 1)[1])
        a = lin(x)
        h1.remove()
        b = lin(x)
        h2.remove()
        c = lin(x)
        lin.register_forward_pre_hook(lambda m, args, kwargs: ((args[0] * 0,), kwargs),
                                      with_kwargs=True)
        lin.register_forward_pre_hook(lambda m, args: (args[0] + 5,), prepend=True)
        d = lin(x)
        return [a, b, c, d, seen]
    a, b, c, d, seen = run(sc)
    W, bias = N(_linear(dualrev, 2, 2).weight), N(_linear(dualrev, 2, 2).bias)
    x = np.array([[1.0, 2.0]])
    np.testing.assert_allclose(a, (2 * x + 1) @ W.T + bias)
    np.testing.assert_allclose(b, (x + 1) @ W.T + bias)
    np.testing.assert_allclose(c, x @ W.T + bias)
    np.testing.assert_allclose(d, bias[None])     # (x + 5) * 0: prepended runs first
    np.testing.assert_allclose(seen[0], 2 * x)


def test_forward_hooks_see_arguments_and_replace_output():
    def sc(lib):
        lin = _linear(lib, 2, 2)
        x = T(lib, [[1.0, 2.0]])
        seen = []
        h = lin.register_forward_hook(
            lambda m, args, out: (seen.append([args[0], out]), out * 3)[1])
        lin.register_forward_hook(lambda m, args, kwargs, out: seen.append(sorted(kwargs)),
                                  with_kwargs=True)
        a = lin(x)
        h.remove()
        b = lin(input=x)
        return [a, b, seen]
    a, b, seen = run(sc)
    np.testing.assert_allclose(a, 3 * b)
    np.testing.assert_allclose(seen[0][0], [[1.0, 2.0]])
    np.testing.assert_allclose(seen[0][1], b)
    assert seen[1] == [] and seen[2] == ["input"]


def test_forward_hook_always_call():
    calls = []

    class Bad(nn.Module):
        def forward(self, x):
            raise ValueError("no")
    m = Bad()
    m.register_forward_hook(lambda mod, args, out: calls.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, args, out: calls.append(("plain", out)))
    with pytest.raises(ValueError):
        m(dualrev.ones(2))
    assert calls == [("always", None)]


def test_full_backward_hook_on_linear():
    def sc(lib):
        lin = _linear(lib, 2, 3)
        x = T(lib, [[1.0, 2.0], [0.5, -1.0]], rg=True)
        seen = []
        h = lin.register_full_backward_hook(lambda m, gi, go: seen.append([m is lin, gi, go]))
        (lin(x) ** 2).sum().backward()
        first_x = x.grad.clone()
        h.remove()
        (lin(x) ** 2).sum().backward()
        return [seen, first_x, lin.weight.grad]
    seen, gx, gW = run(sc)
    assert len(seen) == 1 and seen[0][0] is True
    W, b = N(_linear(dualrev, 2, 3).weight), N(_linear(dualrev, 2, 3).bias)
    x = np.array([[1.0, 2.0], [0.5, -1.0]])
    go = 2 * (x @ W.T + b)
    same(seen[0][1:], [[go @ W], [go]])
    np.testing.assert_allclose(gx, go @ W)
    np.testing.assert_allclose(gW, 2 * go.T @ x)


def test_full_backward_hook_replacement_reaches_earlier_layers():
    def sc(lib):
        seq = _mlp(lib)
        x = T(lib, [[1.0, 2.0], [0.5, -1.0]], rg=True)
        seq[2].register_full_backward_hook(lambda m, gi, go: (gi[0] * 10,))
        seq(x).sum().backward()
        return [x.grad, seq[0].weight.grad, seq[2].weight.grad]
    ours = run(sc)
    # the same network without the hook: its earlier gradients are 10 times smaller
    seq = _mlp(dualrev)
    x = T(dualrev, [[1.0, 2.0], [0.5, -1.0]], rg=True)
    seq(x).sum().backward()
    np.testing.assert_allclose(ours[0], 10 * N(x.grad))
    np.testing.assert_allclose(ours[1], 10 * N(seq[0].weight.grad))
    np.testing.assert_allclose(ours[2], N(seq[2].weight.grad))


def test_full_backward_hooks_in_a_sequential_fire_once_each_from_the_last():
    def sc(lib):
        seq = _mlp(lib)
        order = []
        for i, m in enumerate(seq):
            m.register_full_backward_hook(lambda m, gi, go, i=i: order.append([i, gi, go]))
        seq.register_full_backward_hook(lambda m, gi, go: order.append(["seq", gi, go]))
        x = T(lib, [[1.0, 2.0]], rg=True)
        seq(x).sum().backward()
        return order
    order = run(sc)
    assert [o[0] for o in order] == [2, 1, 0, "seq"]
    # what one layer passes back is what the layer before gets
    same(order[0][1], order[1][2])
    same(order[1][1], order[2][2])
    same(order[2][1], order[3][1])


class Two(nn.Module):
    def forward(self, x, s, y, k=None):
        return x * s + y, x * y


def _two(lib):
    if lib is dualrev:
        return Two()

    class TorchTwo(lib.nn.Module):
        def forward(self, x, s, y, k=None):
            return x * s + y, x * y
    return TorchTwo()


def test_full_backward_hook_of_several_inputs_and_outputs():
    def sc(lib):
        m = _two(lib)
        x = T(lib, [1.0, 2.0], rg=True)
        y = T(lib, [3.0, 4.0])
        seen = []
        m.register_full_backward_hook(lambda mod, gi, go: seen.append([gi, go]))
        a, b = m(x, 2.0, y)
        a.sum().backward(retain_graph=True)         # b gets no gradient
        (a.sum() + b.sum()).backward()
        yy = T(lib, [3.0, 4.0], rg=True)
        a, b = m(x, 2.0, yy)
        b.sum().backward()                          # a gets no gradient
        return seen
    seen = run(sc)
    assert len(seen) == 3
    # grad_input: one per positional argument (None for the number, zeros for a
    # tensor that does not require grad); grad_output: None where none came
    same(seen[0], [[[2.0, 2.0], None, [0.0, 0.0]], [[1.0, 1.0], None]])
    same(seen[1], [[[5.0, 6.0], None, [0.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]])
    same(seen[2], [[[3.0, 4.0], None, [1.0, 2.0]], [None, [1.0, 1.0]]])


def test_full_backward_hook_replaces_several_inputs_of_mixed_dtypes():
    def sc(lib):
        m = _two(lib)
        x = T(lib, [1.0, 2.0], rg=True, dtype=np.float32)
        y = T(lib, [3.0, 4.0], rg=True)
        seen = []

        def hook(mod, gi, go):
            seen.append([str(g.dtype).replace("torch.", "") for g in (gi[0], gi[2])])
            return (gi[0] * 2, None, gi[2] * 3)
        m.register_full_backward_hook(hook)
        a, b = m(x, 2.0, y)
        (a * b).sum().backward()
        return [x.grad, y.grad, seen, str(x.grad.dtype).replace("torch.", "")]
    gx, gy, seen, dt = run(sc)
    x, y = np.array([1.0, 2.0]), np.array([3.0, 4.0])
    a, b = 2 * x + y, x * y
    np.testing.assert_allclose(gx, 2 * (b * 2 + a * y), rtol=1e-6)
    np.testing.assert_allclose(gy, 3 * (b + a * x))
    assert seen == [["float32", "float64"]] and dt == "float32"


def test_full_backward_hook_none_stops_the_gradient():
    def sc(lib):
        lin = _linear(lib, 2, 2)
        x = T(lib, [[1.0, 2.0]], rg=True)
        z = x * 1
        lin.register_full_backward_hook(lambda m, gi, go: (None,))
        lin(z).sum().backward()
        return [x.grad, lin.weight.grad]
    xg, wg = run(sc)
    assert xg is None
    np.testing.assert_allclose(wg, [[1.0, 2.0], [1.0, 2.0]])


def test_full_backward_hook_when_no_input_requires_grad():
    def sc(lib):
        lin = _linear(lib, 2, 1)
        seen = []
        lin.register_full_backward_hook(lambda m, gi, go: seen.append([gi, go]))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lin(T(lib, [1.0, 2.0])).sum().backward()
            lin.register_full_backward_hook(lambda m, gi, go: (T(lib, [1.0, 1.0]),))
            with pytest.raises(RuntimeError, match="no input requires gradient"):
                lin(T(lib, [1.0, 2.0])).sum().backward()
        return [seen[0], any("no inputs require gradients" in str(x.message) for x in w)]
    seen, warned = run(sc)
    same(seen, [[None], [[1.0]]])
    assert warned is True


def test_full_backward_hook_without_input_grads_and_two_outputs():
    def sc(lib):
        class Scaled(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.p = lib.nn.Parameter(T(lib, [2.0, 3.0]))

            def forward(self, x, s):
                return x * self.p, x * self.p * s

        m = Scaled()
        seen = []
        m.register_full_backward_hook(lambda mod, gi, go: seen.append([gi, go]))
        x = T(lib, [1.0, 2.0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a, b = m(x, 5.0)
            (a * 3 + b).sum().backward()
            a, b = m(x, 5.0)
            (b * 2).sum().backward()           # a gets no gradient
        return [seen, m.p.grad]
    seen, pg = run(sc)
    assert len(seen) == 2
    same(seen[0], [[None, None], [[3.0, 3.0], [1.0, 1.0]]])
    same(seen[1], [[None, None], [None, [2.0, 2.0]]])
    np.testing.assert_allclose(pg, [8.0, 16.0] + np.array([10.0, 20.0]))


def test_full_backward_hook_errors():
    lin = _linear(dualrev, 2, 2)
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but "
                                           "expected 1"):
        lin(T(dualrev, [[1.0, 2.0]], rg=True)).sum().backward()
    torch = _torch()
    if torch is not None:
        tl = _linear(torch, 2, 2)
        tl.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        with pytest.raises(RuntimeError, match="invalid number of grad_input, got 2, but "
                                               "expected 1"):
            tl(torch.tensor([[1.0, 2.0]], dtype=torch.float64, requires_grad=True)).sum().backward()


def test_full_backward_hook_fires_once_per_backward():
    def sc(lib):
        lin = _linear(lib, 2, 2)
        calls = []
        lin.register_full_backward_hook(lambda m, gi, go: calls.append(1))
        out = lin(T(lib, [[1.0, 2.0]], rg=True)).sum()
        out.backward(retain_graph=True)
        out.backward()
        return len(calls)
    assert run(sc) == 2


def test_full_backward_hook_with_create_graph():
    def sc(lib):
        lin = _linear(lib, 2, 1)
        x = T(lib, [[1.0, 2.0]], rg=True)
        lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * gi[0],))
        (g,) = lib.autograd.grad(lin(x).sum(), x, create_graph=True)
        (gw,) = lib.autograd.grad(g.sum(), lin.weight)
        return [g, gw]
    g, gw = run(sc)
    W = N(_linear(dualrev, 2, 1).weight)
    np.testing.assert_allclose(g, W ** 2)
    np.testing.assert_allclose(gw, 2 * W)


def test_module_hooks_do_not_change_plain_calls():
    lin = _linear(dualrev, 2, 2)
    x = T(dualrev, [[1.0, 2.0]], rg=True)
    h = lin.register_full_backward_hook(lambda m, gi, go: None)
    with dualrev.no_grad():
        out = lin(x)
    assert not out.requires_grad
    h.remove()
    assert not lin._backward_hooks
    out = lin(x)
    assert out.grad_fn is not None
