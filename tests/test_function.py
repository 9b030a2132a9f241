"""autograd.Function against PyTorch's: gradients, saved tensors, contexts, double backward,
forward mode, and the errors of a wrong backward."""

import numpy as np
import pytest

import dualrev
from dualrev.autograd import Function, forward_ad, once_differentiable

torch = pytest.importorskip("torch")


def make(lib):
    """The same Functions written for dualrev or for torch (lib is the module)."""
    base = lib.autograd.Function

    class Exp(base):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return g * y

    class ScaledMul(base):     # setup_context style, a non-tensor argument
        @staticmethod
        def forward(a, b, k):
            return a * b * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            a, b, k = inputs
            ctx.save_for_backward(a, b)
            ctx.k = k

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            ga = g * b * ctx.k if ctx.needs_input_grad[0] else None
            gb = (g * a * ctx.k).sum() if ctx.needs_input_grad[1] else None
            return ga, gb, None

    class SortValues(base):    # two outputs, one not differentiable
        @staticmethod
        def forward(ctx, x):
            v, i = x.sort()
            ctx.mark_non_differentiable(i)
            ctx.save_for_backward(i)
            ctx.n = x.shape[0]
            return v, i

        @staticmethod
        def backward(ctx, gv, gi):
            i, = ctx.saved_tensors
            out = gv.new_zeros(ctx.n) if hasattr(gv, "new_zeros") else gv * 0
            return out.scatter(0, i, gv)

    class Cube(base):          # with a jvp for forward mode
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.save_for_forward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * g

        @staticmethod
        def jvp(ctx, t):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * t
    return Exp, ScaledMul, SortValues, Cube


OURS, THEIRS = make(dualrev), make(torch)
X = np.array([0.3, -1.2, 0.7])


def _pair(x=X, rg=True):
    return (dualrev.tensor(x, dtype=dualrev.float64, requires_grad=rg),
            torch.tensor(x, dtype=torch.float64, requires_grad=rg))


def _same(a, b, tol=1e-12):
    np.testing.assert_allclose(np.asarray(a.detach().numpy() if hasattr(a, "detach") else a),
                               b.detach().numpy(), rtol=tol, atol=tol)


def test_gradients_as_pytorch():
    for k, (ours, theirs) in enumerate(zip(OURS[:3], THEIRS[:3])):
        (x, xt), (b, bt) = _pair(), _pair(np.array(1.5))
        if k == 1:
            y, yt = ours.apply(x, b, 2.0), theirs.apply(xt, bt, 2.0)
        elif k == 2:
            y, yt = ours.apply(x)[0], theirs.apply(xt)[0]
        else:
            y, yt = ours.apply(x), theirs.apply(xt)
        _same(y, yt)
        (y * y).sum().backward()
        (yt * yt).sum().backward()
        _same(x.grad, xt.grad)
        if k == 1:
            _same(b.grad, bt.grad)
    x, xt = _pair()
    v, i = OURS[2].apply(x)
    assert not i.requires_grad and v.requires_grad
    assert str(OURS[0].apply(x).grad_fn) == "<ExpBackward>"


def test_double_backward_through_saved_output():
    (x, xt) = _pair()
    g, = dualrev.autograd.grad(OURS[0].apply(x).sum() * 2, x, create_graph=True)
    gt, = torch.autograd.grad(THEIRS[0].apply(xt).sum() * 2, xt, create_graph=True)
    g2, = dualrev.autograd.grad((g * g).sum(), x)
    g2t, = torch.autograd.grad((gt * gt).sum(), xt)
    _same(g2, g2t)
    assert dualrev.autograd.gradcheck(OURS[0].apply, (x,))
    assert dualrev.autograd.gradgradcheck(OURS[0].apply, (x,))


def test_forward_mode_with_and_without_jvp():
    t = np.array([1.0, 2.0, -0.5])
    for ours, theirs in ((OURS[3], THEIRS[3]), (OURS[0], None)):
        with forward_ad.dual_level():
            d = forward_ad.make_dual(dualrev.tensor(X, dtype=dualrev.float64),
                                     dualrev.tensor(t, dtype=dualrev.float64))
            tan = forward_ad.unpack_dual(ours.apply(d)).tangent
        if theirs is not None:
            import torch.autograd.forward_ad as tfw
            with tfw.dual_level():
                dt = tfw.make_dual(torch.tensor(X), torch.tensor(t))
                _same(tan, tfw.unpack_dual(theirs.apply(dt)).tangent)
        else:       # no jvp: the transpose of backward, exp(x) * t in closed form
            np.testing.assert_allclose(tan.numpy(), np.exp(X) * t, rtol=1e-12)
    # and through the functional API
    out, tangent = dualrev.jvp(lambda x: OURS[0].apply(x), (dualrev.tensor(X),),
                               (dualrev.tensor(t),))
    np.testing.assert_allclose(np.asarray(tangent.numpy()), np.exp(X.astype(np.float32)) * t,
                               rtol=1e-6)


def _bad(lib, backward):
    class Bad(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

    Bad.backward = staticmethod(backward)
    return Bad


def _error(lib, backward, x):
    with pytest.raises(RuntimeError) as e:
        _bad(lib, backward).apply(x, 2.0).sum().backward()
    return str(e.value)


def test_errors_as_pytorch():
    (x, xt) = _pair()
    cases = [lambda ctx, g: (g,),                        # too few
             lambda ctx, g: (g, None, g),                # too many
             lambda ctx, g: (g, g),                      # a gradient for a non-tensor input
             lambda ctx, g: (g[:2], None)]               # a wrong shape
    for bwd in cases:
        ours, theirs = _error(dualrev, bwd, x), _error(torch, bwd, xt)
        assert ours == theirs, (ours, theirs)
    # a gradient that broadcasts to the input is summed to its shape, as PyTorch
    b, bt = _pair(np.array([[1.0, 2.0, 3.0]]))
    ok = lambda ctx, g: (g * np.ones((4, 1, 3)) if isinstance(g, dualrev.Tensor) else
                         g * torch.ones(4, 1, 3, dtype=torch.float64), None)
    _bad(dualrev, ok).apply(b, 2.0).sum().backward()
    _bad(torch, ok).apply(bt, 2.0).sum().backward()
    _same(b.grad, bt.grad)


def test_once_differentiable():
    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g
    x, _ = _pair()
    y = Square.apply(x)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * X)
    g, = dualrev.autograd.grad((Square.apply(x) ** 2).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="differentiate twice a function that was marked "
                                           "with @once_differentiable"):
        dualrev.autograd.grad(g.sum(), x)


def test_function_with_hooks_and_no_grad():
    x, _ = _pair()
    seen = []
    y = OURS[0].apply(x)
    y.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 2)
    y.sum().backward()
    np.testing.assert_allclose(seen[0], np.ones(3))
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(X))
    with dualrev.no_grad():
        assert not OURS[0].apply(x).requires_grad
    with pytest.raises(RuntimeError, match="static methods"):
        OURS[0]()


def test_utils_checkpoint_as_pytorch():
    from dualrev.utils.checkpoint import checkpoint
    import torch.utils.checkpoint as tcp
    rng = np.random.default_rng(3)
    W1, b1, W2 = rng.standard_normal((8, 4)), rng.standard_normal(8), rng.standard_normal((2, 8))
    x0 = rng.standard_normal((3, 4))
    results = {}
    for lib, ck in ((dualrev, checkpoint), (torch, tcp.checkpoint)):
        t = (lambda a, rg=True: dualrev.tensor(a, dtype=dualrev.float64, requires_grad=rg)) \
            if lib is dualrev else (lambda a, rg=True: torch.tensor(a, requires_grad=rg))
        w1, c1, w2, x = t(W1), t(b1), t(W2), t(x0)
        calls = []

        def block(h):
            calls.append(1)
            return (h @ w1.T + c1).tanh()
        kw = {} if lib is dualrev else {"use_reentrant": False}
        loss = ((ck(block, x, **kw) @ w2.T) ** 2).sum()
        assert len(calls) == 1
        loss.backward()
        gx, = lib.autograd.grad(((ck(block, x, **kw) @ w2.T) ** 2).sum(), x, create_graph=True)
        hw, = lib.autograd.grad((gx ** 2).sum(), w1)
        results[lib.__name__] = [w1.grad, c1.grad, w2.grad, x.grad, hw]
    for a, b in zip(results["dualrev"], results["torch"]):
        _same(a, b, 1e-10)


def test_utils_checkpoint_keeps_nothing_of_the_function_on_the_graph():
    from dualrev.utils.checkpoint import checkpoint
    x, _ = _pair()
    calls = []

    def block(h):
        calls.append(1)
        for _ in range(20):
            h = (h * 1.01).sin()
        return h
    y = checkpoint(block, x)
    assert len(y._value._trace.entries) <= 6         # the call, not its 40 operations
    n = len(calls)
    y.sum().backward()
    assert len(calls) == n + 1                       # run again in backward
    z = x.detach().requires_grad_()
    block(z).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), z.grad.numpy(), rtol=1e-13)
