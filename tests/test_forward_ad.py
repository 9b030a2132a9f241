"""dualrev.autograd.forward_ad: dual levels, make_dual and unpack_dual, as PyTorch's.

Each JVP is checked against its closed form and, when PyTorch is installed,
against torch.autograd.forward_ad on the same float64 inputs.
"""
import numpy as np
import pytest

import dualrev
import dualrev.autograd.forward_ad as fwAD
from dualrev import nn

D = dualrev.float64
# torch.autograd.forward_ad imports torch's decompositions, which warn about torch.jit
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")


def t(a, **kw):
    return dualrev.tensor(np.asarray(a, dtype=np.float64), **kw)


def arr(x):
    return np.asarray(x.detach().numpy())


def jvp(f, x, v):
    """(f(x), J_f(x) v) with dualrev's forward_ad."""
    with fwAD.dual_level():
        out = f(fwAD.make_dual(x, v))
        p, tan = fwAD.unpack_dual(out)
    return arr(p), arr(tan)


def torch_jvp(f, x, v):
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw
    with tfw.dual_level():
        out = f(tfw.make_dual(torch.tensor(x), torch.tensor(v)))
        p, tan = tfw.unpack_dual(out)
    return p.detach().numpy(), tan.detach().numpy()


X = np.array([0.3, -1.2, 2.0])
V = np.array([1.0, 0.5, -2.0])


def test_module_paths():
    assert dualrev.autograd.forward_ad is dualrev.forward_ad
    assert fwAD.UnpackedDualTensor._fields == ("primal", "tangent")


def test_sin_closed_form():
    p, tan = jvp(lambda d: d.sin(), t(X), t(V))
    np.testing.assert_allclose(p, np.sin(X))
    np.testing.assert_allclose(tan, np.cos(X) * V)


def test_exp_times_x_closed_form():
    p, tan = jvp(lambda d: dualrev.exp(d) * d, t(X), t(V))
    np.testing.assert_allclose(p, np.exp(X) * X)
    np.testing.assert_allclose(tan, (np.exp(X) * X + np.exp(X)) * V)


def test_matmul_tangents_of_both_factors():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    dA, dB = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    with fwAD.dual_level():
        a = fwAD.make_dual(t(A), t(dA))
        b = fwAD.make_dual(t(B), t(dB))
        p, tan = fwAD.unpack_dual(a @ b)
    np.testing.assert_allclose(arr(p), A @ B)
    np.testing.assert_allclose(arr(tan), dA @ B + A @ dB)


M = np.arange(9.0).reshape(3, 3) / 7
# The same function for both libraries: mk makes a constant tensor of that library.
FUNCTIONS = {
    "sin": lambda d, mk: d.sin(),
    "exp_x": lambda d, mk: d.exp() * d,
    "tanh_sum": lambda d, mk: (d.tanh() ** 2).sum(),
    "matmul": lambda d, mk: (d @ mk(M)) * d,
    "pow_div": lambda d, mk: d ** 3 / (1 + d * d),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_against_torch(name):
    torch = pytest.importorskip("torch")
    f = FUNCTIONS[name]
    ours = jvp(lambda d: f(d, t), t(X), t(V))
    theirs = torch_jvp(lambda d: f(d, torch.tensor), X, V)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12)


def _mlp():
    dualrev.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()


def test_linear_layer_jvp_is_v_times_weight_transposed():
    lin = nn.Linear(3, 2).double()
    p, tan = jvp(lin, t(X[None]), t(V[None]))
    W = arr(lin.weight)
    np.testing.assert_allclose(tan, V[None] @ W.T)
    np.testing.assert_allclose(p, X[None] @ W.T + arr(lin.bias))


def test_mlp_jvp_closed_form_and_torch():
    mlp = _mlp()
    x = np.array([[0.1, -0.4, 0.9], [1.0, 0.2, -0.3]])
    v = np.array([[1.0, 0.0, -1.0], [0.5, 2.0, 0.1]])
    p, tan = jvp(mlp, t(x), t(v))
    W1, b1, W2 = arr(mlp[0].weight), arr(mlp[0].bias), arr(mlp[2].weight)
    h = x @ W1.T + b1
    np.testing.assert_allclose(tan, ((v @ W1.T) * (1 - np.tanh(h) ** 2)) @ W2.T, rtol=1e-12)
    torch = pytest.importorskip("torch")
    tm = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(),
                             torch.nn.Linear(5, 2)).double()
    with torch.no_grad():
        for (_, ours), (_, theirs) in zip(mlp.named_parameters(), tm.named_parameters()):
            theirs.copy_(torch.tensor(arr(ours)))
    tp, ttan = torch_jvp(tm, x, v)
    np.testing.assert_allclose(p, tp, rtol=1e-12)
    np.testing.assert_allclose(tan, ttan, rtol=1e-12)


def test_nested_levels_give_second_derivatives():
    x0 = 0.7
    with fwAD.dual_level() as outer:
        with fwAD.dual_level() as inner:
            assert (outer, inner) == (0, 1)
            for first, second in ((outer, inner), (inner, outer)):
                a = fwAD.make_dual(t(x0), t(1.0), level=first)
                b = fwAD.make_dual(a, t(1.0), level=second)
                y = b.sin() * b          # y'' = 2 cos(x) - x sin(x)
                _, dy = fwAD.unpack_dual(y, level=inner)
                _, d2y = fwAD.unpack_dual(dy, level=outer)
                np.testing.assert_allclose(arr(d2y), 2 * np.cos(x0) - x0 * np.sin(x0))
                # either order of unpacking gives the same derivatives
                p_outer, dy_outer = fwAD.unpack_dual(y, level=outer)
                np.testing.assert_allclose(arr(fwAD.unpack_dual(dy_outer, level=inner).tangent),
                                           arr(d2y))
                np.testing.assert_allclose(arr(fwAD.unpack_dual(p_outer, level=inner).tangent),
                                           np.sin(x0) + x0 * np.cos(x0))


def test_nested_levels_of_a_vector_function():
    # d/dx of (J_f(x) v) in direction u, f = sum(x**3): u . (6 x * v)
    x, v, u = X, V, np.array([0.2, 1.0, -0.5])
    with fwAD.dual_level():
        xo = fwAD.make_dual(t(x), t(u))            # level 0: direction u
        with fwAD.dual_level():
            xi = fwAD.make_dual(xo, t(v))            # level 1 (default): direction v
            _, dv = fwAD.unpack_dual((xi ** 3).sum())
        _, duv = fwAD.unpack_dual(dv)
    np.testing.assert_allclose(arr(duv), np.sum(6 * x * v * u))


def test_default_level_is_the_innermost():
    with fwAD.dual_level():
        with fwAD.dual_level() as inner:
            d = fwAD.make_dual(t(X), t(V))
            assert fwAD.unpack_dual(d, level=inner).tangent is not None
            assert fwAD.unpack_dual(d, level=0).tangent is None


def test_unpack_of_plain_and_outside_levels():
    x = t(X)
    assert fwAD.unpack_dual(x).tangent is None
    assert fwAD.unpack_dual(x).primal is x
    with fwAD.dual_level():
        p, tan = fwAD.unpack_dual(x)
        assert tan is None
        np.testing.assert_array_equal(arr(p), X)


def test_after_exit_tangents_are_gone():
    with fwAD.dual_level():
        d = fwAD.make_dual(t(X), t(V))
        y = d * 3
    p, tan = fwAD.unpack_dual(y)
    assert tan is None
    np.testing.assert_allclose(arr(y * 2), 6 * X)
    with fwAD.dual_level():          # a new level: the old tangents are not its
        assert fwAD.unpack_dual(y).tangent is None
        z = y * fwAD.make_dual(t(X), t(V))
        np.testing.assert_allclose(arr(fwAD.unpack_dual(z).tangent), 3 * X * V)
        assert fwAD.unpack_dual(y * 2).tangent is None


def test_after_exit_matches_torch():
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw
    with tfw.dual_level():
        ty = tfw.make_dual(torch.tensor(X), torch.tensor(V)) * 3
    assert tfw.unpack_dual(ty).tangent is None
    with fwAD.dual_level():
        y = fwAD.make_dual(t(X), t(V)) * 3
    assert fwAD.unpack_dual(y).tangent is None
    np.testing.assert_allclose(arr(y.exp()), ty.exp().numpy())


def test_errors():
    x = t(X)
    with pytest.raises(RuntimeError, match="no level exists"):
        fwAD.make_dual(x, t(V))
    with fwAD.dual_level():
        with pytest.raises(RuntimeError, match=r"size \[3\] while the given forward gradient "
                                               r"is of size \[4\]"):
            fwAD.make_dual(x, t(np.ones(4)))
        with pytest.raises(ValueError, match="Expected primal to be floating point"):
            fwAD.make_dual(dualrev.tensor([1, 2, 3]), t(V))
        with pytest.raises(ValueError, match="Expected tangent to be floating point"):
            fwAD.make_dual(x, dualrev.tensor([1, 2, 3]))
        with pytest.raises(ValueError, match="complex"):
            fwAD.make_dual(x, dualrev.tensor(V + 1j))
        d = fwAD.make_dual(x, t(V))
        with pytest.raises(RuntimeError, match="already has a forward gradient at the same "
                                               "level 0"):
            fwAD.make_dual(d, t(V))
        # detached, it has no tangent: allowed (as PyTorch)
        fwAD.make_dual(d.detach(), t(V))
        with pytest.raises(RuntimeError, match="Invalid level"):
            fwAD.make_dual(x, t(V), level=3)
        with pytest.raises(RuntimeError, match="Invalid level"):
            fwAD.unpack_dual(x, level=1)
        with pytest.raises(TypeError):
            fwAD.make_dual(x, V)
        outer = fwAD.enter_dual_level() - 1
        with pytest.raises(RuntimeError, match="not the last one"):
            fwAD.exit_dual_level(level=outer)
        fwAD.exit_dual_level()
    with pytest.raises(RuntimeError, match="no dual level is open"):
        fwAD.exit_dual_level()


def test_errors_as_torch():
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw
    for mod, mk in ((tfw, torch.tensor), (fwAD, t)):
        with pytest.raises(RuntimeError):
            mod.make_dual(mk(X), mk(V))
        with mod.dual_level():
            with pytest.raises(RuntimeError, match="different size"):
                mod.make_dual(mk(X), mk(np.ones(4)))


def test_tangent_of_another_float_dtype_is_cast():
    with fwAD.dual_level():
        d = fwAD.make_dual(t(X), dualrev.tensor(V, dtype=dualrev.float32))
        assert fwAD.unpack_dual(d).tangent.dtype == np.float64
        assert fwAD.unpack_dual(d * 2).tangent.dtype == np.float64


def test_complex_jvp_against_closed_form_and_torch():
    z = np.array([1 + 2j, -0.5 + 0.1j])
    v = np.array([0.3 - 1j, 2 + 0.5j])
    with fwAD.dual_level():
        d = fwAD.make_dual(dualrev.tensor(z), dualrev.tensor(v))
        _, tan = fwAD.unpack_dual(d * d + d.conj())
    np.testing.assert_allclose(arr(tan), 2 * z * v + np.conj(v))
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw
    with tfw.dual_level():
        td = tfw.make_dual(torch.tensor(z), torch.tensor(v))
        _, ttan = tfw.unpack_dual(td * td + td.conj())
    np.testing.assert_allclose(arr(tan), ttan.resolve_conj().numpy())


def test_backward_through_primal_and_tangent():
    """As PyTorch: backward of a dual tensor differentiates its primal; the tangent is a
    recorded tensor too (its gradient is a Hessian-vector product)."""
    x = t(X, requires_grad=True)
    v = np.array([1.0, 0.0, 2.0])
    with fwAD.dual_level():
        d = fwAD.make_dual(x, t(v))
        assert not d.is_leaf and d.requires_grad
        y = (d.sin() * d).sum()
        p, tan = fwAD.unpack_dual(y)
        y.backward(retain_graph=True)
        g_dual = arr(x.grad)
        x.grad = None
        p.backward(retain_graph=True)
        g_primal = arr(x.grad)
        x.grad = None
        tan.backward()
        g_tangent = arr(x.grad)
    expect = np.sin(X) + X * np.cos(X)
    np.testing.assert_allclose(g_dual, expect)
    np.testing.assert_allclose(g_primal, expect)
    # d/dx of sum((sin x + x cos x) v) = (2 cos x - x sin x) v
    np.testing.assert_allclose(g_tangent, (2 * np.cos(X) - X * np.sin(X)) * v)
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw
    tx = torch.tensor(X, requires_grad=True)
    with tfw.dual_level():
        ty = (lambda d: (d.sin() * d).sum())(tfw.make_dual(tx, torch.tensor(v)))
        tp, ttan = tfw.unpack_dual(ty)
        tp.backward(retain_graph=True)
        np.testing.assert_allclose(g_primal, tx.grad.numpy())
        tx.grad = None
        ttan.backward()
        np.testing.assert_allclose(g_tangent, tx.grad.numpy())


def test_gradient_with_respect_to_the_tangent():
    v = t(V, requires_grad=True)
    with fwAD.dual_level():
        d = fwAD.make_dual(t(X), v)
        _, tan = fwAD.unpack_dual(d.exp().sum())
    (g,) = dualrev.autograd.grad(tan, v)
    np.testing.assert_allclose(arr(g), np.exp(X))


def test_backward_through_a_module_with_dual_input():
    lin = nn.Linear(3, 2).double()
    with fwAD.dual_level():
        out = lin(fwAD.make_dual(t(X[None]), t(V[None])))
        out.sum().backward()
    np.testing.assert_allclose(arr(lin.weight.grad), np.tile(X, (2, 1)))
    np.testing.assert_allclose(arr(lin.bias.grad), np.ones(2))


def test_dual_level_as_decorator_and_item_and_repr():
    @fwAD.dual_level()
    def f():
        d = fwAD.make_dual(t(2.0), t(3.0))
        assert (d * d).item() == 4.0
        assert "tangent=tensor(3." in repr(d)
        return fwAD.unpack_dual(d * d).tangent
    np.testing.assert_allclose(arr(f()), 12.0)
    assert fwAD._levels == []
