"""The PyTorch-style layer: ``dualrev.nn`` (Module, Parameter, Linear, containers,
activations, losses), ``dualrev.optim`` (SGD, Adam, AdamW) and
``dualrev.autograd.gradcheck`` / ``gradgradcheck``.

Expected values come from closed forms written here with NumPy (the
optimizers' update rules, least squares, Linear's algebra) or from JAX in
float64 (losses, activations and their gradients).  Comparisons with PyTorch
are skipped when it is not installed: it is not a test dependency.
"""
import collections
import copy
import functools
import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dualrev
import dualrev.core
import dualrev.nn as nn
import dualrev.nn.functional as F
import dualrev.optim as optim
from dualrev.autograd import GradcheckError, gradcheck, gradgradcheck
from helpers import jax, jnp

HYP = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])
RTOL, ATOL = 1e-12, 1e-14          # float64 closed forms vs dualrev


def t64(a, requires_grad=False):
    """A float64 dualrev tensor holding a copy of a."""
    return dualrev.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def arr(t):
    """The values of a tensor (or None) as a NumPy array, detached."""
    return None if t is None else np.array(t.detach().numpy())


def assert_close(actual, expected, rtol=1e-10, atol=1e-12, err=""):
    a = arr(actual) if isinstance(actual, dualrev.Tensor) else np.asarray(actual)
    e = np.asarray(expected)
    assert a.shape == e.shape, f"{err}: shape {a.shape} != expected {e.shape}"
    np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, err_msg=err)


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4, dtype=dualrev.float64)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 2, dtype=dualrev.float64)
        self.scale = 2.0                       # a plain attribute, not registered

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


# ============================================================================ 1. Module

def test_attribute_assignment_registers_parameters_and_submodules():
    m = TwoLayer()
    assert list(m._modules) == ["fc1", "act", "fc2"]
    assert m._parameters == collections.OrderedDict()
    assert m.scale == 2.0 and "scale" not in m._parameters and "scale" not in m._modules
    m.extra = nn.Parameter(t64(np.ones(5)))
    assert list(m._parameters) == ["extra"]
    assert m.extra is m._parameters["extra"] and m.extra.requires_grad
    names = [n for n, _ in m.named_parameters()]
    assert names == ["extra", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    # a plain tensor is a plain attribute, not a parameter
    m.plain = t64([1.0])
    assert "plain" not in m._parameters
    assert len(list(m.parameters())) == 5
    # re-assigning a module name with a Parameter moves it between the stores
    m.act = nn.Parameter(t64([3.0]))
    assert "act" not in m._modules and "act" in m._parameters
    # deleting a registered name removes it
    del m.extra
    assert "extra" not in m._parameters
    with pytest.raises(AttributeError):
        m.extra


def test_sequential_named_parameters_names_and_order():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    names = [n for n, _ in s.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    params = list(s.parameters())
    assert params[0] is s[0].weight and params[3] is s[2].bias
    assert all(isinstance(p, nn.Parameter) for p in params)
    assert [n for n, _ in s.named_parameters(prefix="net")][0] == "net.0.weight"
    assert [n for n, _ in s.named_parameters(recurse=False)] == []
    od = nn.Sequential(collections.OrderedDict([("enc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert [n for n, _ in od.named_parameters()] == ["enc.weight", "enc.bias"]
    assert isinstance(od.enc, nn.Linear)


def test_shared_parameter_listed_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 3)
            self.b = nn.Linear(3, 3)
            self.b.weight = self.a.weight        # weight tying
            self.c = self.a                      # a shared submodule
    m = Tied()
    params = list(m.parameters())
    assert len(params) == 3
    assert len({id(p) for p in params}) == 3
    assert [n for n, _ in m.named_parameters()] == ["a.weight", "a.bias", "b.bias"]
    # the optimizer accepts it (it refuses duplicates)
    optim.SGD(m.parameters(), lr=0.1)


def test_children_and_modules():
    inner = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    s = nn.Sequential(inner, nn.Linear(2, 1))
    assert list(s.children()) == [inner, s[1]]
    assert [n for n, _ in s.named_children()] == ["0", "1"]
    mods = list(s.modules())
    assert mods == [s, inner, inner[0], inner[1], s[1]]
    assert [n for n, _ in s.named_modules()] == ["", "0", "0.0", "0.1", "1"]
    # a shared module appears once in modules()
    twice = nn.Sequential(inner, inner)
    assert len(list(twice.modules())) == 4
    seen = []
    s.apply(lambda mod: seen.append(mod))
    assert seen == [inner[0], inner[1], inner, s[1], s]     # children first, as PyTorch


def test_children_of_shared_submodule_listed_once():
    lin = nn.Linear(2, 2)
    s = nn.Sequential(lin, lin)
    assert [n for n, _ in s.named_children()] == ["0"]
    calls = []
    s.apply(lambda m: calls.append(type(m).__name__))
    assert calls == ["Linear", "Sequential"]


def test_train_eval_recursive():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Tanh(), nn.Linear(2, 1)))
    assert all(mod.training for mod in m.modules())
    assert m.eval() is m
    assert not any(mod.training for mod in m.modules())
    assert m.train() is m
    assert all(mod.training for mod in m.modules())
    m[1].train(False)
    assert m.training and m[0].training
    assert not m[1].training and not m[1][0].training and not m[1][1].training
    with pytest.raises(ValueError):
        m.train("yes")
    # eval() does not stop recording
    m.eval()
    y = m(t64(np.ones((1, 2))).float()).sum()
    assert y.requires_grad


def test_zero_grad_set_to_none_and_zeros():
    m = TwoLayer()
    x = t64(np.arange(6.0).reshape(2, 3) / 6)
    m(x).sum().backward()
    for p in m.parameters():
        assert p.grad is not None and np.any(arr(p.grad) != 0)
    g_obj = m.fc1.weight.grad
    m.zero_grad(set_to_none=False)
    for p in m.parameters():
        assert p.grad is not None
        assert p.grad.shape == p.shape and p.grad.dtype == p.dtype
        assert np.all(arr(p.grad) == 0)
    assert m.fc1.weight.grad is g_obj        # zeroed in place
    m(x).sum().backward()                    # accumulates into the zeros
    expected = arr(m.fc1.weight.grad)
    m.zero_grad()                            # default: set to None
    assert all(p.grad is None for p in m.parameters())
    m(x).sum().backward()
    assert_close(m.fc1.weight.grad, expected, rtol=1e-15, atol=0)


def test_state_dict_keys_detached_shared_memory():
    m = nn.Sequential(nn.Linear(3, 4, dtype=dualrev.float64), nn.ReLU(),
                      nn.Linear(4, 2, bias=False, dtype=dualrev.float64))
    sd = m.state_dict()
    assert list(sd) == ["0.weight", "0.bias", "2.weight"]
    params = dict(m.named_parameters())
    for k, v in sd.items():
        assert isinstance(v, dualrev.Tensor) and not isinstance(v, nn.Parameter)
        assert not v.requires_grad and v.is_leaf
        assert v.shape == params[k].shape and v.dtype == params[k].dtype
        assert np.shares_memory(v.numpy(), params[k].detach().numpy())
        np.testing.assert_array_equal(v.numpy(), arr(params[k]))
    # in-place updates of the parameters show through (as in PyTorch)
    w0 = arr(m[0].weight)
    m[0].weight.grad = t64(np.ones((4, 3)))
    optim.SGD(m.parameters(), lr=0.5).step()
    np.testing.assert_array_equal(sd["0.weight"].numpy(), w0 - 0.5)
    assert list(m.state_dict(prefix="model.")) == ["model.0.weight", "model.0.bias",
                                                   "model.2.weight"]
    kept = m.state_dict(keep_vars=True)
    assert kept["0.weight"] is m[0].weight


def test_state_dict_keeps_tied_aliases():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Linear(2, 2)
            self.dec = nn.Linear(2, 2)
            self.dec.weight = self.enc.weight
    m = Tied()
    assert list(m.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]
    checkpoint = {"enc.weight": np.ones((2, 2)), "enc.bias": np.zeros(2),
                  "dec.weight": np.ones((2, 2)), "dec.bias": np.zeros(2)}
    m.load_state_dict(checkpoint)


def test_load_state_dict_copies_values_in_place():
    src = TwoLayer()
    dst = TwoLayer()
    before = {n: p for n, p in dst.named_parameters()}
    versions = {n: p._version for n, p in dst.named_parameters()}
    res = dst.load_state_dict(src.state_dict())
    assert res.missing_keys == [] and res.unexpected_keys == []
    for n, p in dst.named_parameters():
        assert p is before[n]                                      # same objects
        assert p.requires_grad and p.is_leaf
        np.testing.assert_array_equal(arr(p), arr(dict(src.named_parameters())[n]))
        assert not np.shares_memory(p.detach().numpy(),
                                    dict(src.named_parameters())[n].detach().numpy())
        assert p._version > versions[n]
    # a copy, not an alias: changing the source afterwards leaves dst alone
    w = arr(dst.fc1.weight)
    with dualrev.no_grad():
        src.fc1.weight.add_(1.0)
    np.testing.assert_array_equal(arr(dst.fc1.weight), w)
    # NumPy arrays are accepted, cast to the parameter's dtype
    lin = nn.Linear(2, 2)        # float32
    lin.load_state_dict({"weight": np.array([[1.0, 2.0], [3.0, 4.0]]), "bias": np.zeros(2)})
    assert lin.weight.dtype == np.float32
    np.testing.assert_array_equal(arr(lin.weight), [[1, 2], [3, 4]])


def test_load_state_dict_strict_errors():
    lin = nn.Linear(3, 2, dtype=dualrev.float64)
    w0 = arr(lin.weight)
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict({"weight": np.zeros((2, 3))})
    assert "Missing key(s)" in str(info.value) and '"bias"' in str(info.value)
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict({"weight": np.zeros((2, 3)), "bias": np.zeros(2),
                             "scale": np.ones(1)})
    assert "Unexpected key(s)" in str(info.value) and '"scale"' in str(info.value)
    with pytest.raises(RuntimeError) as info:
        lin.load_state_dict({"weight": np.zeros((3, 3)), "bias": np.zeros(2)})
    msg = str(info.value)
    assert "size mismatch for weight" in msg and "(3, 3)" in msg and "(2, 3)" in msg
    # size mismatches are errors even with strict=False
    with pytest.raises(RuntimeError, match="size mismatch for bias"):
        lin.load_state_dict({"bias": np.zeros(5)}, strict=False)
    # nothing was copied by the failed loads
    np.testing.assert_array_equal(arr(lin.weight), w0)


def test_load_state_dict_non_strict_returns_keys():
    lin = nn.Linear(3, 2, dtype=dualrev.float64)
    b0 = arr(lin.bias)
    res = lin.load_state_dict({"weight": np.full((2, 3), 7.0), "other": np.ones(3)},
                              strict=False)
    assert res.missing_keys == ["bias"]
    assert res.unexpected_keys == ["other"]
    np.testing.assert_array_equal(arr(lin.weight), np.full((2, 3), 7.0))
    np.testing.assert_array_equal(arr(lin.bias), b0)


@pytest.mark.parametrize("cast", ["double", "to", "to_kw"])
def test_cast_in_place_keeps_parameters_and_optimizer_works(cast):
    dualrev.manual_seed(3)
    m = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    assert all(p.dtype == np.float32 for p in m.parameters())
    before = list(m.parameters())
    values = [arr(p).astype(np.float64) for p in before]
    opt = optim.SGD(m.parameters(), lr=0.1)
    out = {"double": lambda: m.double(), "to": lambda: m.to(dualrev.float64),
           "to_kw": lambda: m.to("cpu", dtype=np.float64)}[cast]()
    assert out is m
    after = list(m.parameters())
    assert all(a is b for a, b in zip(after, before))
    assert all(p.dtype == np.float64 and p.requires_grad and p.is_leaf for p in after)
    for p, v in zip(after, values):
        np.testing.assert_array_equal(arr(p), v)       # float32 -> float64 is exact
    # the optimizer built before the cast updates the cast parameters
    x = t64([[0.5, -1.0, 2.0]])
    m(x).sum().backward()
    grads = [arr(p.grad) for p in m.parameters()]
    assert all(g.dtype == np.float64 for g in grads)
    opt.step()
    for p, v, g in zip(m.parameters(), values, grads):
        assert p.dtype == np.float64
        np.testing.assert_allclose(arr(p), v - 0.1 * g, rtol=1e-15, atol=1e-17)
    # and back to float32, gradients included
    m.float()
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in m.parameters())
    assert all(a is b for a, b in zip(m.parameters(), before))


def test_module_to_cuda_without_a_gpu_raises():
    """Without a GPU (tests/test_devices.py runs "cuda" on a stand-in), as PyTorch
    without CUDA."""
    m = nn.Linear(2, 2)
    assert m.to("cpu") is m and m.cpu() is m
    if dualrev.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        m.to("cuda")
    with pytest.raises(RuntimeError, match="no CUDA GPU"):
        nn.Linear(2, 2, device="cuda")


def test_repr_linear_and_nested_sequential():
    assert repr(nn.Linear(3, 4)) == "Linear(in_features=3, out_features=4, bias=True)"
    assert repr(nn.Linear(3, 4, bias=False)) == "Linear(in_features=3, out_features=4, bias=False)"
    s = nn.Sequential(nn.Sequential(nn.Linear(2, 3), nn.ReLU()), nn.Linear(3, 1, bias=False),
                      nn.Softmax(dim=1))
    assert repr(s) == (
        "Sequential(\n"
        "  (0): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "    (1): ReLU()\n"
        "  )\n"
        "  (1): Linear(in_features=3, out_features=1, bias=False)\n"
        "  (2): Softmax(dim=1)\n"
        ")")
    assert repr(nn.Module()) == "Module()"
    p = nn.Parameter(t64([1.0, 2.0]))
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.]")


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Sequential(nn.Linear(2, 3), nn.ReLU()), nn.Tanh(),
                         nn.Linear(3, 1, bias=False), nn.LogSoftmax(dim=-1))
    theirs = torch.nn.Sequential(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU()),
                                 torch.nn.Tanh(), torch.nn.Linear(3, 1, bias=False),
                                 torch.nn.LogSoftmax(dim=-1))
    assert repr(ours) == repr(theirs)


def test_flatten_repr():
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


def test_assign_non_parameter_to_parameter_name_raises():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="weight"):
        lin.weight = dualrev.tensor(np.ones((2, 2), np.float32), requires_grad=True)
    with pytest.raises(TypeError):
        lin.bias = np.zeros(2)
    with pytest.raises(TypeError):
        lin.register_parameter("w2", dualrev.tensor([1.0]))
    s = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(TypeError):
        setattr(s, "0", "not a module")
    # None is allowed, and unregisters the value
    lin.bias = None
    assert lin.bias is None
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    assert list(lin.state_dict()) == ["weight"]
    y = lin(dualrev.ones(1, 2))
    np.testing.assert_allclose(arr(y), arr(lin.weight).sum(1)[None], rtol=1e-6)


def test_assign_before_init_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(1, 1)       # before super().__init__()
    with pytest.raises(AttributeError, match="__init__"):
        Bad()


def test_forward_missing_raises():
    class NoForward(nn.Module):
        pass
    with pytest.raises(NotImplementedError, match="forward"):
        NoForward()(dualrev.ones(2))
    with pytest.raises(NotImplementedError):
        nn.Module()(dualrev.ones(2))


def test_parameter_shares_memory_with_tensor():
    t = t64([1.0, 2.0, 3.0])
    p = nn.Parameter(t)
    assert isinstance(p, nn.Parameter) and isinstance(p, dualrev.Tensor)
    assert p.requires_grad and p.is_leaf and p.grad is None
    assert np.shares_memory(p.detach().numpy(), t.numpy())
    t.add_(1.0)
    np.testing.assert_array_equal(arr(p), [2.0, 3.0, 4.0])
    assert p._version == t._version == 1
    # and the other way: an optimizer step on p shows in t
    p.grad = t64([1.0, 1.0, 1.0])
    optim.SGD([p], lr=1.0).step()
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0, 3.0])
    q = nn.Parameter(t64([1.0]), requires_grad=False)
    assert not q.requires_grad
    assert nn.Parameter().shape == (0,)


def test_sequential_and_modulelist_containers():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b, c)
    assert len(s) == 3 and s[0] is a and s[-1] is c and list(s) == [a, b, c]
    head = s[0:2]
    assert isinstance(head, nn.Sequential) and list(head) == [a, b]
    assert head[1] is b
    s.append(nn.Identity())
    assert len(s) == 4 and [n for n, _ in s.named_children()][-1] == "3"
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2)])
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]
    ml.append(nn.Linear(2, 1))
    assert len(ml) == 3 and ml[2].out_features == 1

    class Holder(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(1, 1) for _ in range(2)])
    assert [n for n, _ in Holder().named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]


def test_deepcopy_module():
    m = TwoLayer()
    m.fc2.weight.grad = t64(np.ones((2, 4)))
    c = copy.deepcopy(m)
    assert c.fc1.weight is not m.fc1.weight
    assert isinstance(c.fc1.weight, nn.Parameter) and c.fc1.weight.requires_grad
    for (n1, p1), (n2, p2) in zip(m.named_parameters(), c.named_parameters()):
        assert n1 == n2
        np.testing.assert_array_equal(arr(p1), arr(p2))
        assert not np.shares_memory(p1.detach().numpy(), p2.detach().numpy())
    np.testing.assert_array_equal(arr(c.fc2.weight.grad), np.ones((2, 4)))


# ============================================================================ 2. Linear

def test_linear_shapes_and_dtype():
    lin = nn.Linear(5, 3)
    assert lin.weight.shape == (3, 5) and lin.bias.shape == (3,)
    assert lin.weight.dtype == dualrev.get_default_dtype()
    assert lin.in_features == 5 and lin.out_features == 3
    assert isinstance(lin.weight, nn.Parameter) and lin.weight.requires_grad
    nb = nn.Linear(5, 3, bias=False)
    assert nb.bias is None
    assert [n for n, _ in nb.named_parameters()] == ["weight"]
    assert nn.Linear(2, 2, dtype=dualrev.float64).weight.dtype == np.float64


def test_linear_default_init_uniform_bounds_and_spread():
    dualrev.manual_seed(1234)
    n_in, n_out = 400, 500
    lin = nn.Linear(n_in, n_out, dtype=dualrev.float64)
    bound = 1 / math.sqrt(n_in)
    w = arr(lin.weight).ravel()
    assert np.all(np.abs(w) <= bound)
    assert w.max() > 0.99 * bound and w.min() < -0.99 * bound
    std = bound / math.sqrt(3)
    n = w.size
    # sample std of a uniform: relative standard error sqrt(0.8 / (4 n)) ~ 1e-3
    assert abs(w.std() / std - 1) < 0.01
    assert abs(w.mean()) < 5 * std / math.sqrt(n)
    assert abs(np.mean(np.abs(w) < bound / 2) - 0.5) < 0.01      # flat, not bell-shaped
    b = arr(lin.bias)
    assert np.all(np.abs(b) <= bound) and b.std() > 0.8 * std and b.std() < 1.2 * std
    # a different fan-in scales the bound
    small = arr(nn.Linear(4, 1000, dtype=dualrev.float64).weight)
    assert np.all(np.abs(small) <= 0.5) and small.max() > 0.49


def test_linear_init_seeded():
    dualrev.manual_seed(7)
    a = nn.Linear(3, 4)
    a2 = nn.Linear(3, 4)
    dualrev.manual_seed(7)
    b = nn.Linear(3, 4)
    np.testing.assert_array_equal(arr(a.weight), arr(b.weight))
    np.testing.assert_array_equal(arr(a.bias), arr(b.bias))
    assert not np.array_equal(arr(a.weight), arr(a2.weight))


def test_linear_forward_closed_form():
    rng = np.random.default_rng(0)
    lin = nn.Linear(3, 4, dtype=dualrev.float64)
    W, b = arr(lin.weight), arr(lin.bias)
    x = rng.normal(size=(5, 3))
    assert_close(lin(t64(x)), x @ W.T + b, rtol=1e-14, atol=1e-15)
    x1 = rng.normal(size=3)
    assert_close(lin(t64(x1)), x1 @ W.T + b, rtol=1e-14, atol=1e-15)
    x3 = rng.normal(size=(2, 5, 3))
    assert_close(lin(t64(x3)), x3 @ W.T + b, rtol=1e-14, atol=1e-15)
    assert_close(F.linear(t64(x), t64(W)), x @ W.T, rtol=1e-14, atol=1e-15)


def test_linear_gradients_closed_form():
    rng = np.random.default_rng(1)
    lin = nn.Linear(3, 4, dtype=dualrev.float64)
    W = arr(lin.weight)
    x_np, G = rng.normal(size=(5, 3)), rng.normal(size=(5, 4))
    x = t64(x_np, requires_grad=True)
    (lin(x) * t64(G)).sum().backward()
    assert_close(lin.weight.grad, G.T @ x_np, rtol=1e-13, atol=1e-14)
    assert_close(lin.bias.grad, G.sum(0), rtol=1e-13, atol=1e-14)
    assert_close(x.grad, G @ W, rtol=1e-13, atol=1e-14)
    # mse through a Linear: d/dW mean((xW^T + b - y)^2) = 2/(N*out) r^T x
    lin.zero_grad()
    y = rng.normal(size=(5, 4))
    F.mse_loss(lin(t64(x_np)), t64(y)).backward()
    r = x_np @ W.T + arr(lin.bias) - y
    assert_close(lin.weight.grad, 2 * r.T @ x_np / r.size, rtol=1e-13, atol=1e-14)
    assert_close(lin.bias.grad, 2 * r.sum(0) / r.size, rtol=1e-13, atol=1e-14)


# ============================================================================ 3. losses

def _value_and_grads(fn, *arrays):
    """dualrev: fn(*tensors) and the gradients of its sum w.r.t. each float array."""
    ts = [t64(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.sum().backward()
    return arr(out), [arr(t.grad) for t in ts]


def _jax_value_and_grads(fn, *arrays):
    """JAX: fn(*arrays) and the gradients of its sum (one compiled program)."""
    def both(*a):
        out = fn(*a)
        return out, jax.grad(lambda *b: jnp.sum(fn(*b)), argnums=tuple(range(len(a))))(*a)
    out, grads = jax.jit(both)(*[jnp.asarray(a) for a in arrays])
    return np.asarray(out), [np.asarray(g) for g in grads]


def _jax_reduce(loss, reduction):
    return {"mean": jnp.mean, "sum": jnp.sum, "none": lambda v: v}[reduction](loss)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_vs_jax(reduction):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    ours, (gx, gy) = _value_and_grads(lambda a, b: F.mse_loss(a, b, reduction=reduction), x, y)
    ref, (rx, ry) = _jax_value_and_grads(lambda a, b: _jax_reduce((a - b) ** 2, reduction), x, y)
    assert_close(ours, ref)
    assert_close(gx, rx)
    assert_close(gy, ry)
    mod = nn.MSELoss(reduction=reduction)(t64(x), t64(y))
    assert_close(mod, ref)


def _jax_cross_entropy(logits, target, weight, reduction, label_smoothing, probs):
    """PyTorch's documented formula: -sum_c w_c y'_c log_softmax(x)_c, with
    y' = (1 - eps) y + eps / C; 'mean' divides by sum_n w_{target_n} for class
    indices and by N for probability targets."""
    logp = jax.nn.log_softmax(logits, axis=-1)
    c = logits.shape[-1]
    y = target if probs else jax.nn.one_hot(target, c, dtype=logits.dtype)
    y = y * (1 - label_smoothing) + label_smoothing / c
    w = jnp.ones(c) if weight is None else weight
    per = -jnp.sum(logp * y * w, axis=-1)
    if reduction == "mean":
        if probs:
            return jnp.mean(per)
        return jnp.sum(per) / jnp.sum(w[target])
    return _jax_reduce(per, reduction)


@functools.lru_cache(maxsize=None)
def _ce_ref(reduction, probs):
    """Jitted JAX cross-entropy: (x, target, weight, eps) -> (value, gradients of
    its sum w.r.t. x, and w.r.t. the target when it holds probabilities)."""
    def fn(x, target, w, ls):
        return _jax_cross_entropy(x, target, w, reduction, ls, probs)

    def both(x, target, w, ls):
        argnums = (0, 1) if probs else (0,)
        g = jax.grad(lambda *a: jnp.sum(fn(*a)), argnums=argnums)(x, target, w, ls)
        return fn(x, target, w, ls), g
    jitted = jax.jit(both)

    def call(x, target, weight, ls):
        w = np.ones(np.shape(x)[-1]) if weight is None else weight
        out, g = jitted(jnp.asarray(x), jnp.asarray(target), jnp.asarray(w), ls)
        return np.asarray(out), [np.asarray(a) for a in g]
    return call


CE_CASES = [(r, w, ls) for r in ("mean", "sum", "none") for w in (False, True)
            for ls in (0.0, 0.25)]


@pytest.mark.parametrize("reduction,use_weight,ls", CE_CASES)
def test_cross_entropy_class_indices_vs_jax(reduction, use_weight, ls):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 4)) * 2
    target = np.array([0, 3, 1, 2, 3, 3])
    w = rng.uniform(0.5, 2.0, size=4)
    weight = w if use_weight else None
    ours, (gx,) = _value_and_grads(
        lambda a: F.cross_entropy(a, dualrev.tensor(target), None if weight is None
                                  else t64(weight), reduction, ls), x)
    ref, (rx,) = _ce_ref(reduction, False)(x, target, weight, ls)
    assert_close(ours, ref, err="value")
    assert_close(gx, rx, err="gradient")
    mod = nn.CrossEntropyLoss(weight=None if weight is None else t64(weight),
                              reduction=reduction, label_smoothing=ls)
    assert_close(mod(t64(x), dualrev.tensor(target)), ref, err="module")


@pytest.mark.parametrize("reduction,use_weight,ls", CE_CASES)
def test_cross_entropy_probability_targets_vs_jax(reduction, use_weight, ls):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(5, 3)) * 2
    p = rng.dirichlet(np.ones(3), size=5)
    w = rng.uniform(0.5, 2.0, size=3)
    weight = w if use_weight else None
    ours, (gx, gp) = _value_and_grads(
        lambda a, b: F.cross_entropy(a, b, None if weight is None else t64(weight),
                                     reduction, ls), x, p)
    ref, (rx, rp) = _ce_ref(reduction, True)(x, p, weight, ls)
    assert_close(ours, ref, err="value")
    assert_close(gx, rx, err="gradient wrt logits")
    assert_close(gp, rp, err="gradient wrt target probabilities")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_unbatched(reduction):
    x = np.array([0.3, -1.2, 2.0, 0.1])
    ours, (gx,) = _value_and_grads(
        lambda a: F.cross_entropy(a, dualrev.tensor(2), reduction=reduction), x)
    assert ours.shape == ()
    ref, (rx,) = _jax_value_and_grads(lambda a: -jax.nn.log_softmax(a)[2], x)
    assert_close(ours, ref)
    assert_close(gx, rx)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("use_weight", [False, True])
def test_nll_loss_vs_jax(reduction, use_weight):
    rng = np.random.default_rng(5)
    logp = np.log(rng.dirichlet(np.ones(5), size=7))
    target = np.array([4, 0, 0, 2, 1, 4, 3])
    w = rng.uniform(0.1, 3.0, size=5) if use_weight else None

    def ref_fn(lp):
        wt = jnp.ones(5) if w is None else jnp.asarray(w)
        per = -lp[jnp.arange(7), target] * wt[target]
        if reduction == "mean":
            return jnp.sum(per) / jnp.sum(wt[target])
        return _jax_reduce(per, reduction)
    ours, (g,) = _value_and_grads(
        lambda a: F.nll_loss(a, dualrev.tensor(target), None if w is None else t64(w),
                             reduction), logp)
    ref, (rg,) = _jax_value_and_grads(ref_fn, logp)
    assert_close(ours, ref)
    assert_close(g, rg)
    mod = nn.NLLLoss(weight=None if w is None else t64(w), reduction=reduction)
    assert_close(mod(t64(logp), dualrev.tensor(target)), ref)


def test_cross_entropy_is_log_softmax_then_nll():
    rng = np.random.default_rng(6)
    x, t = rng.normal(size=(4, 6)), dualrev.tensor(np.array([5, 0, 2, 2]))
    a = F.cross_entropy(t64(x), t)
    b = F.nll_loss(F.log_softmax(t64(x), 1), t)
    b2 = nn.NLLLoss()(nn.LogSoftmax(dim=1)(t64(x)), t)
    assert_close(a, arr(b), rtol=1e-14, atol=0)
    assert_close(b2, arr(b), rtol=1e-14, atol=0)


def test_cross_entropy_vs_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(8, 5)) * 3
    t = rng.integers(0, 5, size=8)
    p = rng.dirichlet(np.ones(5), size=8)
    w = rng.uniform(0.2, 2.0, size=5)
    for target, ttarget in [(dualrev.tensor(t), torch.tensor(t)), (t64(p), torch.tensor(p))]:
        for reduction in ("mean", "sum", "none"):
            for ls in (0.0, 0.1):
                for weight in (None, w):
                    xt = t64(x, requires_grad=True)
                    ours = F.cross_entropy(xt, target, None if weight is None else t64(weight),
                                           reduction, ls)
                    ours.sum().backward()
                    xq = torch.tensor(x, requires_grad=True)
                    ref = torch.nn.functional.cross_entropy(
                        xq, ttarget, None if weight is None else torch.tensor(weight),
                        reduction=reduction, label_smoothing=ls)
                    ref.sum().backward()
                    where = f"{reduction} ls={ls} weight={weight is not None}"
                    assert_close(ours, ref.detach().numpy(), err=where)
                    assert_close(xt.grad, xq.grad.numpy(), err=where)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_log_softmax_logsumexp_vs_jax(dim):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(3, 5)) * 3
    G = rng.normal(size=(3, 5))
    Gr = rng.normal(size=np.delete(np.array(x.shape), dim))
    cases = [
        (lambda a: F.softmax(a, dim) * t64(G), lambda a: jax.nn.softmax(a, axis=dim) * G),
        (lambda a: F.log_softmax(a, dim) * t64(G), lambda a: jax.nn.log_softmax(a, axis=dim) * G),
        (lambda a: a.softmax(dim) * t64(G), lambda a: jax.nn.softmax(a, axis=dim) * G),
        (lambda a: dualrev.log_softmax(a, dim) * t64(G),
         lambda a: jax.nn.log_softmax(a, axis=dim) * G),
        (lambda a: F.logsumexp(a, dim) * t64(Gr),
         lambda a: jax.scipy.special.logsumexp(a, axis=dim) * Gr),
        (lambda a: F.logsumexp(a, dim, keepdim=True),
         lambda a: jax.scipy.special.logsumexp(a, axis=dim, keepdims=True)),
        (lambda a: nn.Softmax(dim)(a) * t64(G), lambda a: jax.nn.softmax(a, axis=dim) * G),
    ]
    @jax.jit
    def refs(a):                # every reference in one compiled program
        return [(f(a), jax.grad(lambda b: jnp.sum(f(b)))(a)) for _, f in cases]
    for k, ((ours_fn, _), (ref, rg)) in enumerate(zip(cases, refs(jnp.asarray(x)))):
        ours, (g,) = _value_and_grads(ours_fn, x)
        assert_close(ours, np.asarray(ref), err=f"case {k} value")
        assert_close(g, np.asarray(rg), err=f"case {k} gradient")


@settings(max_examples=15, **HYP)
@given(rows=st.integers(1, 4), cols=st.integers(1, 5), scale=st.sampled_from([0.1, 1.0, 30.0]),
       seed=st.integers(0, 2 ** 16))
def test_log_softmax_property_closed_form(rows, cols, scale, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, cols)) * scale
    G = rng.normal(size=(rows, cols))
    ours, (g,) = _value_and_grads(lambda a: F.log_softmax(a, 1) * t64(G), x)
    # closed forms in NumPy: log_softmax = x - max - log(sum(exp(x - max))), and
    # the VJP of G is G - softmax(x) * sum(G) along the row
    shifted = x - x.max(1, keepdims=True)
    lsm = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    assert_close(ours, lsm * G, rtol=1e-12, atol=1e-12)
    assert_close(g, G - np.exp(lsm) * G.sum(1, keepdims=True), rtol=1e-12, atol=1e-12)
    s = arr(F.softmax(t64(x), 1))
    assert np.all(s >= 0)
    np.testing.assert_allclose(s.sum(1), 1.0, rtol=1e-14)


def test_numerical_stability_large_logits():
    x = np.array([[1000.0, -1000.0, 0.0],
                  [-1000.0, -1000.0, -1000.0],
                  [1000.0, 1000.0, -1000.0]])
    target = np.array([0, 2, 1])
    for ls in (0.0, 0.1):
        ours, (g,) = _value_and_grads(
            lambda a: F.cross_entropy(a, dualrev.tensor(target), label_smoothing=ls), x)
        ref, (rg,) = _ce_ref("mean", False)(x, target, None, ls)
        assert np.isfinite(ours) and np.all(np.isfinite(g))
        assert_close(ours, ref)
        assert_close(g, rg)
    # log(3) / 3 + log(2) / 3 for the unsmoothed loss: closed form
    assert_close(F.cross_entropy(t64(x), dualrev.tensor(target)),
                 (math.log(3) + math.log(2)) / 3, rtol=1e-14, atol=0)
    for fn in (lambda a: F.log_softmax(a, 1), lambda a: F.softmax(a, 1),
               lambda a: F.logsumexp(a, 1)):
        out, (g,) = _value_and_grads(fn, x)
        assert np.all(np.isfinite(out)) and np.all(np.isfinite(g))
    np.testing.assert_allclose(arr(F.logsumexp(t64(x), 1)),
                               [1000.0, -1000.0 + math.log(3), 1000.0 + math.log(2)],
                               rtol=1e-15)
    # float32 logits too
    x32 = dualrev.tensor(x.astype(np.float32), requires_grad=True)
    loss = F.cross_entropy(x32, dualrev.tensor(target))
    loss.backward()
    assert loss.dtype == np.float32 and np.isfinite(loss.item())
    assert np.all(np.isfinite(arr(x32.grad)))


def test_relu_values_and_derivative_at_zero():
    x = t64([-2.0, -0.0, 0.0, 1e-300, 3.0], requires_grad=True)
    y = F.relu(x)
    y.sum().backward()
    np.testing.assert_array_equal(arr(y), [0.0, 0.0, 0.0, 1e-300, 3.0])
    np.testing.assert_array_equal(arr(x.grad), [0.0, 0.0, 0.0, 1.0, 1.0])
    x32 = dualrev.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    y32 = nn.ReLU()(x32)
    assert y32.dtype == np.float32
    y32.sum().backward()
    np.testing.assert_array_equal(arr(x32.grad), [0.0, 0.0, 1.0])
    assert_close(dualrev.relu(t64([-1.0, 2.0])), [0.0, 2.0])


def test_sigmoid_tails_vs_jax():
    xs = np.array([-40.0, -20.0, -1.0, 0.0, 1.0, 20.0, 40.0, -700.0])
    ours, (g,) = _value_and_grads(F.sigmoid, xs)
    ref = np.asarray(jax.nn.sigmoid(jnp.asarray(xs)))
    # relative precision everywhere, the left tail included (1/(1+exp(40)) ~ 4.2e-18)
    np.testing.assert_allclose(ours, ref, rtol=1e-14, atol=0)
    np.testing.assert_allclose(ours[0], 1 / (1 + math.exp(40.0)), rtol=1e-14)
    rg = np.asarray(jax.vmap(jax.grad(jax.nn.sigmoid))(jnp.asarray(xs)))
    np.testing.assert_allclose(g, rg, rtol=1e-12, atol=0)
    # left tail derivative: exp(x) / (1 + exp(x))^2, to relative precision
    np.testing.assert_allclose(g[0], math.exp(-40) / (1 + math.exp(-40)) ** 2, rtol=1e-14)
    assert_close(nn.Sigmoid()(t64(xs)), ref, rtol=1e-14, atol=0)
    assert_close(t64(xs).sigmoid(), ref, rtol=1e-14, atol=0)
    # no overflow in exp, even far out (float64 and float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        far = F.sigmoid(t64([-1000.0, 1000.0]))
        s32 = F.sigmoid(dualrev.tensor(np.array([-80.0, 100.0], np.float32)))
    np.testing.assert_array_equal(arr(far), [0.0, 1.0])
    assert s32.dtype == np.float32
    np.testing.assert_allclose(arr(s32), [math.exp(-80), 1.0], rtol=1e-6)


def test_tanh_vs_jax():
    xs = np.linspace(-5, 5, 11)
    ours, (g,) = _value_and_grads(F.tanh, xs)
    ref, (rg,) = _jax_value_and_grads(jnp.tanh, xs)
    assert_close(ours, ref)
    assert_close(g, rg)
    assert_close(nn.Tanh()(t64(xs)), ref)


def test_identity_and_flatten_modules():
    x = t64(np.arange(24.0).reshape(2, 3, 4))
    assert nn.Identity()(x) is x
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    np.testing.assert_array_equal(arr(nn.Flatten()(x)), np.arange(24.0).reshape(2, 12))


def test_loss_errors():
    x = t64(np.zeros((3, 4)))
    with pytest.raises(IndexError, match="4"):
        F.cross_entropy(x, dualrev.tensor([0, 4, 1]))
    with pytest.raises(IndexError):
        F.cross_entropy(x, dualrev.tensor([0, -1, 1]))
    with pytest.raises(IndexError):
        F.nll_loss(x, dualrev.tensor([0, 1, 9]))
    with pytest.raises(ValueError):          # probabilities of the wrong shape
        F.cross_entropy(x, t64(np.full((3, 5), 0.2)))
    with pytest.raises(ValueError):
        F.cross_entropy(x, t64(np.full(3, 0.25)))
    with pytest.raises(ValueError):          # indices of the wrong shape
        F.cross_entropy(x, dualrev.tensor([0, 1]))
    with pytest.raises(TypeError):           # float class indices to nll_loss
        F.nll_loss(x, t64([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError):
        F.cross_entropy(t64(np.zeros((2, 3, 4))), dualrev.tensor([0, 1]))
    for bad in ("avg", "batchmean", None):
        with pytest.raises(ValueError, match="reduction"):
            F.mse_loss(x, x, reduction=bad)
        with pytest.raises(ValueError, match="reduction"):
            F.cross_entropy(x, dualrev.tensor([0, 1, 2]), reduction=bad)
        with pytest.raises(ValueError, match="reduction"):
            F.cross_entropy(x, t64(np.full((3, 4), 0.25)), reduction=bad)
        with pytest.raises(ValueError, match="reduction"):
            F.nll_loss(x, dualrev.tensor([0, 1, 2]), weight=t64(np.ones(4)), reduction=bad)
    with pytest.raises(ValueError):
        nn.MSELoss(reduction="bad")(x, x)
    with pytest.warns(UserWarning, match="broadcast"):
        F.mse_loss(t64(np.zeros((3, 1))), t64(np.zeros(3)))


# ============================================================================ 4. optimizers

def ref_sgd(x0, grads, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
            maximize=False):
    """PyTorch's documented SGD, written out in NumPy; the trajectory of x."""
    x, buf, out = np.array(x0, dtype=np.float64), None, []
    for g in grads:
        g = -g if maximize else g
        g = g + weight_decay * x
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        x = x - lr * g
        out.append(x)
    return out


def ref_adam(x0, grads, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
             amsgrad=False, maximize=False, decoupled=False):
    """PyTorch's Adam / AdamW in NumPy (amsgrad keeps the running maximum of the
    raw second moment and bias-corrects it, as torch.optim does)."""
    b1, b2 = betas
    x = np.array(x0, dtype=np.float64)
    m, v, vmax, out = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x), []
    for t, g in enumerate(grads, start=1):
        g = -g if maximize else g
        if decoupled:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        if amsgrad:
            vmax = np.maximum(vmax, v)
            vhat = vmax / (1 - b2 ** t)
        else:
            vhat = v / (1 - b2 ** t)
        mhat = m / (1 - b1 ** t)
        x = x - lr * mhat / (np.sqrt(vhat) + eps)
        out.append(x)
    return out


def run_optimizer(cls, x0, grads, **kw):
    p = nn.Parameter(t64(x0))
    opt = cls([p], **kw)
    traj = []
    for g in grads:
        p.grad = t64(g)
        opt.step()
        assert p.dtype == np.float64
        traj.append(arr(p))
    return traj, p, opt


def _ids(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()) or "default"


def _fixed(seed, n=5, shape=(2, 3)):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), [rng.normal(size=shape) for _ in range(n)]


def test_sgd_plain_by_hand():
    p = nn.Parameter(t64([1.0, -2.0]))
    opt = optim.SGD([p], lr=0.1)
    p.grad = t64([0.5, 4.0])
    opt.step()
    np.testing.assert_allclose(arr(p), [0.95, -2.4], rtol=1e-15)
    p.grad = t64([-1.0, 0.0])
    opt.step()
    np.testing.assert_allclose(arr(p), [1.05, -2.4], rtol=1e-15)


def test_sgd_momentum_first_step_buffer_is_gradient():
    p = nn.Parameter(t64([0.0]))
    opt = optim.SGD([p], lr=1.0, momentum=0.9, dampening=0.5)
    p.grad = t64([1.0])
    opt.step()
    np.testing.assert_allclose(arr(p), [-1.0], rtol=1e-15)   # buf = g: dampening not applied
    p.grad = t64([1.0])
    opt.step()
    # buf = 0.9 * 1 + (1 - 0.5) * 1 = 1.4
    np.testing.assert_allclose(arr(p), [-2.4], rtol=1e-15)
    # nesterov: step 1 uses g + m * g; step 2 uses g + m * (m * g1 + g2)
    q = nn.Parameter(t64([0.0]))
    nes = optim.SGD([q], lr=1.0, momentum=0.5, nesterov=True)
    q.grad = t64([2.0])
    nes.step()
    np.testing.assert_allclose(arr(q), [-3.0], rtol=1e-15)
    q.grad = t64([2.0])
    nes.step()
    np.testing.assert_allclose(arr(q), [-3.0 - (2.0 + 0.5 * 3.0)], rtol=1e-15)


SGD_CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.3),
    dict(lr=0.1, momentum=0.8, nesterov=True),
    dict(lr=0.1, momentum=0.8, nesterov=True, weight_decay=0.05),
    dict(lr=0.1, maximize=True),
    dict(lr=0.02, momentum=0.5, dampening=0.1, weight_decay=0.2, maximize=True),
]


@pytest.mark.parametrize("kw", SGD_CONFIGS, ids=_ids)
def test_sgd_vs_closed_form(kw):
    x0, grads = _fixed(10)
    traj, _, _ = run_optimizer(optim.SGD, x0, grads, **kw)
    for k, (a, e) in enumerate(zip(traj, ref_sgd(x0, grads, **kw))):
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=f"step {k + 1}")


def test_sgd_maximize_is_ascent():
    x0, grads = _fixed(11, n=3)
    up, _, _ = run_optimizer(optim.SGD, x0, grads, lr=0.1, maximize=True)
    down, _, _ = run_optimizer(optim.SGD, x0, [-g for g in grads], lr=0.1)
    for a, b in zip(up, down):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(up[0], x0 + 0.1 * grads[0], rtol=1e-15)


def test_adam_first_step_closed_form():
    # after one step m_hat = g and v_hat = g^2: x1 = x0 - lr * g / (|g| + eps)
    x0 = np.array([1.0, -1.0, 0.5, 2.0])
    g = np.array([0.3, -2.0, 1e-3, 0.0])
    for eps in (1e-8, 0.1):
        traj, _, _ = run_optimizer(optim.Adam, x0, [g], lr=0.01, eps=eps)
        np.testing.assert_allclose(traj[0], x0 - 0.01 * g / (np.abs(g) + eps), rtol=1e-13,
                                   atol=1e-16)
    # AdamW with its default weight_decay=0.01: x1 = x0 (1 - lr wd) - lr g / (|g| + eps)
    traj, _, opt = run_optimizer(optim.AdamW, x0, [g], lr=0.1)
    assert opt.param_groups[0]["weight_decay"] == 0.01
    np.testing.assert_allclose(traj[0], x0 * (1 - 0.1 * 0.01) - 0.1 * g / (np.abs(g) + 1e-8),
                               rtol=1e-13, atol=1e-16)
    # Adam's default is no weight decay
    assert optim.Adam([nn.Parameter(t64([1.0]))]).param_groups[0]["weight_decay"] == 0


ADAM_CONFIGS = [
    dict(),
    dict(lr=0.01, betas=(0.8, 0.9)),
    dict(lr=0.01, eps=0.5),                       # eps large enough to matter
    dict(lr=0.01, weight_decay=0.3),              # L2 added to the gradient
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.02, amsgrad=True, weight_decay=0.1, maximize=True, betas=(0.5, 0.6)),
    dict(lr=0.01, maximize=True),
]


@pytest.mark.parametrize("kw", ADAM_CONFIGS, ids=_ids)
def test_adam_vs_closed_form(kw):
    x0, grads = _fixed(12)
    traj, p, opt = run_optimizer(optim.Adam, x0, grads, **kw)
    for k, (a, e) in enumerate(zip(traj, ref_adam(x0, grads, **kw))):
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=f"step {k + 1}")
    assert opt.state[p]["step"] == len(grads)


ADAMW_CONFIGS = [
    dict(lr=0.01),                                # default weight_decay 0.01
    dict(lr=0.05, weight_decay=0.5),
    dict(lr=0.05, weight_decay=0.5, amsgrad=True),
    dict(lr=0.05, weight_decay=0.0),              # then it is Adam
    dict(lr=0.05, weight_decay=0.2, maximize=True, eps=0.1),
]


@pytest.mark.parametrize("kw", ADAMW_CONFIGS, ids=_ids)
def test_adamw_vs_closed_form(kw):
    x0, grads = _fixed(13)
    traj, _, _ = run_optimizer(optim.AdamW, x0, grads, **kw)
    ref = ref_adam(x0, grads, decoupled=True, **{"weight_decay": 0.01, **kw})
    for k, (a, e) in enumerate(zip(traj, ref)):
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=f"step {k + 1}")


def test_adamw_decay_is_decoupled():
    x0, grads = _fixed(14, n=3)
    w, _, _ = run_optimizer(optim.AdamW, x0, grads, lr=0.05, weight_decay=0.5)
    a, _, _ = run_optimizer(optim.Adam, x0, grads, lr=0.05, weight_decay=0.5)
    assert np.max(np.abs(w[-1] - a[-1])) > 1e-3
    # with a zero gradient AdamW only shrinks: x (1 - lr wd) per step (the Adam
    # part is 0 / (0 + eps) = 0); Adam with L2 moves by about lr per step instead
    z = [np.zeros(3)] * 3
    traj, _, _ = run_optimizer(optim.AdamW, np.array([1.0, -2.0, 4.0]), z, lr=0.1,
                               weight_decay=0.5)
    np.testing.assert_allclose(traj[-1], np.array([1.0, -2.0, 4.0]) * 0.95 ** 3, rtol=1e-14)


def test_amsgrad_uses_running_max():
    # a large gradient then small ones: v shrinks, its maximum does not
    x0 = np.array([0.0, 0.0])
    grads = [np.array([10.0, -10.0])] + [np.array([0.1, 0.1])] * 4
    kw = dict(lr=0.1, betas=(0.5, 0.5))
    ams, _, opt = run_optimizer(optim.Adam, x0, grads, amsgrad=True, **kw)
    plain, _, _ = run_optimizer(optim.Adam, x0, grads, **kw)
    for k, (a, e) in enumerate(zip(ams, ref_adam(x0, grads, amsgrad=True, **kw))):
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=f"step {k + 1}")
    assert np.max(np.abs(ams[-1] - plain[-1])) > 1e-2
    st_ = opt.state[list(opt.state)[0]]
    np.testing.assert_allclose(st_["max_exp_avg_sq"], [50.0, 50.0], rtol=1e-15)


@settings(max_examples=20, **HYP)
@given(lr=st.floats(1e-3, 0.5), momentum=st.sampled_from([0.0, 0.5, 0.9]),
       dampening=st.sampled_from([0.0, 0.3]), weight_decay=st.sampled_from([0.0, 0.1]),
       nesterov=st.booleans(), maximize=st.booleans(), seed=st.integers(0, 1000))
def test_sgd_property(lr, momentum, dampening, weight_decay, nesterov, maximize, seed):
    if nesterov and (momentum == 0 or dampening != 0):
        nesterov = False
    kw = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
              nesterov=nesterov, maximize=maximize)
    x0, grads = _fixed(seed, n=4, shape=(3,))
    traj, _, _ = run_optimizer(optim.SGD, x0, grads, **kw)
    for a, e in zip(traj, ref_sgd(x0, grads, **kw)):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-14)


@settings(max_examples=20, **HYP)
@given(lr=st.floats(1e-4, 0.3), b1=st.floats(0.0, 0.99), b2=st.floats(0.0, 0.999),
       eps=st.sampled_from([1e-8, 1e-3, 1.0]), weight_decay=st.sampled_from([0.0, 0.05]),
       amsgrad=st.booleans(), decoupled=st.booleans(), seed=st.integers(0, 1000))
def test_adam_property(lr, b1, b2, eps, weight_decay, amsgrad, decoupled, seed):
    kw = dict(lr=lr, betas=(b1, b2), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
    x0, grads = _fixed(seed, n=4, shape=(3,))
    traj, _, _ = run_optimizer(optim.AdamW if decoupled else optim.Adam, x0, grads, **kw)
    for a, e in zip(traj, ref_adam(x0, grads, decoupled=decoupled, **kw)):
        np.testing.assert_allclose(a, e, rtol=1e-11, atol=1e-13)


def test_params_without_grad_are_skipped():
    a = nn.Parameter(t64([1.0, 2.0]))
    b = nn.Parameter(t64([3.0]))
    for cls, kw in [(optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
                    (optim.Adam, dict(lr=0.1, weight_decay=0.1)), (optim.AdamW, dict(lr=0.1))]:
        a.grad, b.grad = t64([1.0, 1.0]), None
        opt = cls([a, b], **kw)
        va, vb, b0 = a._version, b._version, arr(b)
        opt.step()
        np.testing.assert_array_equal(arr(b), b0)        # untouched, weight decay included
        assert b._version == vb and a._version == va + 1
        assert b not in opt.state and a in opt.state


def test_param_groups_with_different_lr():
    a = nn.Parameter(t64([1.0]))
    b = nn.Parameter(t64([1.0]))
    c = nn.Parameter(t64([1.0]))
    opt = optim.SGD([{"params": [a, b]}, {"params": c, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0, 0.9]
    for _ in range(2):
        for p in (a, b, c):
            p.grad = t64([1.0])
        opt.step()
    np.testing.assert_allclose(arr(a), [0.8], rtol=1e-15)
    np.testing.assert_allclose(arr(b), [0.8], rtol=1e-15)
    np.testing.assert_allclose(arr(c), [1.0 - 0.5 - 0.5 * 1.9], rtol=1e-15)
    d = nn.Parameter(t64([1.0]))
    opt.add_param_group({"params": [d], "lr": 1.0})
    d.grad = t64([2.0])
    a.grad = b.grad = c.grad = None
    opt.step()
    np.testing.assert_allclose(arr(d), [-1.0], rtol=1e-15)
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [a]})
    # changing a group's lr takes effect at the next step
    opt.param_groups[0]["lr"] = 1.0
    a.grad = t64([1.0])
    opt.step()
    np.testing.assert_allclose(arr(a), [-0.2], rtol=1e-14)


def test_optimizer_errors():
    p = nn.Parameter(t64([1.0]))
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="empty"):
        optim.Adam(iter([]))
    for make in (lambda: optim.SGD([p], lr=-0.1), lambda: optim.Adam([p], lr=-1e-3),
                 lambda: optim.AdamW([p], lr=-1.0)):
        with pytest.raises(ValueError, match="learning rate"):
            make()
    with pytest.raises(ValueError, match="[Nn]esterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="[Nn]esterov"):
        optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5, nesterov=True)
    with pytest.raises(ValueError):
        optim.SGD([p], lr=0.1, momentum=-0.5)
    with pytest.raises(ValueError):
        optim.SGD([p], lr=0.1, weight_decay=-1.0)
    with pytest.raises(ValueError):
        optim.Adam([p], betas=(1.0, 0.999))
    with pytest.raises(ValueError):
        optim.Adam([p], betas=(0.9, -0.1))
    with pytest.raises(ValueError):
        optim.Adam([p], eps=-1e-8)
    x = t64([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="leaf"):
        optim.SGD([x * 2], lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD(p, lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD([np.ones(2)], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([p, p], lr=0.1)


def test_step_closure_returns_loss():
    p = nn.Parameter(t64([3.0, -1.0]))
    opt = optim.SGD([p], lr=0.25)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        calls.append(loss.item())
        return loss
    with dualrev.no_grad():                 # the closure records even so
        loss = opt.step(closure)
    assert isinstance(loss, dualrev.Tensor) and loss.item() == 10.0 and calls == [10.0]
    np.testing.assert_allclose(arr(p), [3.0 - 0.25 * 6.0, -1.0 + 0.25 * 2.0], rtol=1e-15)
    assert opt.step() is None


def test_optimizer_zero_grad():
    a = nn.Parameter(t64([1.0, 2.0]))
    b = nn.Parameter(t64([3.0]))
    opt = optim.Adam([a, b])
    (a.sum() * b.sum()).backward()
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and np.all(arr(a.grad) == 0) and np.all(arr(b.grad) == 0)
    x_before = arr(a)
    opt.step()                              # zero gradients: Adam moves nothing
    np.testing.assert_array_equal(arr(a), x_before)
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_bumps_version_and_stale_graph_raises():
    p = nn.Parameter(t64([1.0, 2.0]))
    opt = optim.SGD([p], lr=0.1)
    y = (p * p).sum()                        # saves p's value
    p.grad = t64([1.0, 1.0])
    v = p._version
    opt.step()
    assert p._version == v + 1
    with pytest.raises(RuntimeError, match="version"):
        y.backward()
    # a graph built after the step is fine
    p.grad = None
    (p * p).sum().backward()
    np.testing.assert_allclose(arr(p.grad), 2 * np.array([0.9, 1.9]), rtol=1e-15)
    # the step is an in-place update: the same array, so detached views follow it
    view = p.detach()
    p.grad = t64([1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(view.numpy(), [0.8, 1.8], rtol=1e-15)


def test_optimizer_float32_parameters_stay_float32():
    dualrev.manual_seed(0)
    lin = nn.Linear(3, 2)
    opt = optim.Adam(lin.parameters(), lr=0.01)
    w0 = arr(lin.weight).astype(np.float64)
    F.mse_loss(lin(dualrev.ones(4, 3)), dualrev.zeros(4, 2)).backward()
    g = arr(lin.weight.grad).astype(np.float64)
    opt.step()
    assert lin.weight.dtype == np.float32
    np.testing.assert_allclose(arr(lin.weight), w0 - 0.01 * g / (np.abs(g) + 1e-8),
                               rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name,kw", [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.05)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-3, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.05, amsgrad=True, weight_decay=0.3)),
])
def test_optimizers_vs_torch(name, kw):
    torch = pytest.importorskip("torch")
    x0, grads = _fixed(20)
    traj, _, _ = run_optimizer(getattr(optim, name), x0, grads, **kw)
    q = torch.nn.Parameter(torch.tensor(x0))
    opt = getattr(torch.optim, name)([q], **kw)
    for k, g in enumerate(grads):
        q.grad = torch.tensor(g)
        opt.step()
        np.testing.assert_allclose(traj[k], q.detach().numpy(), rtol=1e-13, atol=1e-15,
                                   err_msg=f"step {k + 1}")


def test_optimizer_repr():
    opt = optim.SGD([nn.Parameter(t64([1.0]))], lr=0.1, momentum=0.9)
    r = repr(opt)
    assert r.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in r
    assert "    momentum: 0.9\n" in r and r.endswith(")")


# ============================================================================ 5. training

def _linear_data(seed=0, n=64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([[1.5, -2.0, 0.5]]).T + 0.3 + 0.1 * rng.normal(size=(n, 1))
    A = np.hstack([X, np.ones((n, 1))])
    sol = np.linalg.lstsq(A, y, rcond=None)[0]
    best = float(np.mean((A @ sol - y) ** 2))
    return X, y, sol, best


@pytest.mark.parametrize("name,kw,steps,rtol", [
    ("SGD", dict(lr=0.1), 200, 1e-12),
    ("SGD", dict(lr=0.05, momentum=0.5), 200, 1e-12),
    ("Adam", dict(lr=0.05), 500, 1e-8),
])
def test_linear_regression_reaches_least_squares(name, kw, steps, rtol):
    X, y, sol, best = _linear_data()
    dualrev.manual_seed(0)
    model = nn.Linear(3, 1, dtype=dualrev.float64)
    opt = getattr(optim, name)(model.parameters(), **kw)
    Xt, yt = t64(X), t64(y)
    loss_fn = nn.MSELoss()
    first = None
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(Xt), yt)
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
    with dualrev.no_grad():
        final = loss_fn(model(Xt), yt).item()
    assert first > 10 * best
    assert final >= best * (1 - 1e-12)          # nothing beats least squares
    assert (final - best) / best < rtol, (final, best)
    np.testing.assert_allclose(arr(model.weight), sol[:3].T, rtol=0, atol=1e-4)
    np.testing.assert_allclose(arr(model.bias), sol[3], rtol=0, atol=1e-4)


@pytest.mark.parametrize("seed", [0, 1])
def test_mlp_fits_nonlinear_function(seed):
    dualrev.manual_seed(seed)
    xs = np.linspace(-2, 2, 64)[:, None]
    ys = np.sin(2 * xs)
    net = nn.Sequential(nn.Linear(1, 16, dtype=dualrev.float64), nn.Tanh(),
                        nn.Linear(16, 1, dtype=dualrev.float64))
    opt = optim.Adam(net.parameters(), lr=0.02)
    Xt, yt = t64(xs), t64(ys)
    for _ in range(600):
        opt.zero_grad()
        loss = F.mse_loss(net(Xt), yt)
        loss.backward()
        opt.step()
    assert loss.item() < 1e-3 * np.var(ys), loss.item()


def test_classifier_training_with_cross_entropy():
    # three well separated blobs: a linear softmax classifier gets them all right
    rng = np.random.default_rng(0)
    centers = np.array([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])
    labels = np.repeat(np.arange(3), 20)
    X = centers[labels] + 0.5 * rng.normal(size=(60, 2))
    dualrev.manual_seed(0)
    model = nn.Linear(2, 3, dtype=dualrev.float64)
    opt = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    Xt, yt = t64(X), dualrev.tensor(labels)
    for _ in range(100):
        opt.zero_grad()
        loss = nn.CrossEntropyLoss()(model(Xt), yt)
        loss.backward()
        opt.step()
    pred = arr(model(Xt)).argmax(1)
    assert np.all(pred == labels)
    assert loss.item() < 0.05


# ============================================================================ 6. gradcheck

def _rand64(seed, *shape, requires_grad=True):
    return t64(np.random.default_rng(seed).normal(size=shape), requires_grad=requires_grad)


GOOD_FUNCTIONS = {
    "polynomial": (lambda x: 3 * x ** 3 - 2 * x ** 2 + x - 1, lambda: (_rand64(0, 4),)),
    "sin_exp": (lambda x, y: x.sin() * (y * 0.5).exp(), lambda: (_rand64(1, 3), _rand64(2, 3))),
    "matmul_tanh": (lambda A, x: (A @ x).tanh(), lambda: (_rand64(3, 3, 4), _rand64(4, 4))),
    "softmax_ce": (lambda z: F.cross_entropy(z, dualrev.tensor([1, 0, 2])),
                   lambda: (_rand64(5, 3, 3),)),
    "ce_probs": (lambda z, p: F.cross_entropy(z, p.softmax(-1), label_smoothing=0.1),
                 lambda: (_rand64(6, 2, 4), _rand64(7, 2, 4))),
    "linear_module": (None, lambda: (_rand64(8, 2, 3),)),      # fn built in the test
    "two_outputs": (lambda x, y: (x * y, (x - y).sum()), lambda: (_rand64(9, 2), _rand64(10, 2))),
}


@pytest.mark.parametrize("name", list(GOOD_FUNCTIONS))
def test_gradcheck_passes_on_correct_functions(name):
    fn, make = GOOD_FUNCTIONS[name]
    if name == "linear_module":
        dualrev.manual_seed(0)
        lin = nn.Linear(3, 2, dtype=dualrev.float64)
        fn = lambda x: nn.Tanh()(lin(x))       # noqa: E731  (fixed weights)
    inputs = make()
    assert gradcheck(fn, inputs) is True
    assert gradcheck(fn, inputs, raise_exception=False) is True


@pytest.mark.parametrize("name", ["polynomial", "sin_exp", "matmul_tanh", "softmax_ce"])
def test_gradgradcheck_passes_on_correct_functions(name):
    fn, make = GOOD_FUNCTIONS[name]
    assert gradgradcheck(fn, make()) is True


def test_gradcheck_input_not_requiring_grad_is_ignored():
    c = _rand64(11, 3, requires_grad=False)
    assert gradcheck(lambda x, c: x * c.exp(), (_rand64(12, 3), c)) is True
    with pytest.raises(ValueError):
        gradcheck(lambda c: c * 2, (c,))


def test_gradcheck_warns_on_float32():
    x = dualrev.tensor([0.5, 1.5, -0.7], requires_grad=True)
    with pytest.warns(UserWarning, match="double precision"):
        gradcheck(lambda x: x * x, (x,), raise_exception=False)


def _bad_square():
    # np.square with the derivative 3x instead of 2x, in both modes
    return dualrev.Primitive("bad_square", np.square,
                             jvp=(lambda x_dot, ans, x: 3 * x * x_dot,),
                             vjp=(lambda g, ans, x: 3 * g * x,),
                             elementwise=True, register=False)


def test_gradcheck_catches_planted_wrong_derivative():
    bad = _bad_square()
    a = t64([1.0, 2.0], requires_grad=True)
    b = t64([0.5, -1.5, 3.0], requires_grad=True)

    def f(a, b):
        return a.sum() * dualrev.core.bind(bad, (b,))
    # the value is right: only the derivative is wrong
    assert_close(f(a, b), 3.0 * np.array([0.5, -1.5, 3.0]) ** 2)
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, (a, b))
    assert isinstance(info.value, RuntimeError)
    msg = str(info.value)
    assert "output 0" in msg and "input 1" in msg and "input 0" not in msg
    # worst entry: |3 - 2| * sum(a) * |b_j| is largest at j = 2 (b_2 = 3);
    # numerical 2 * 3 * 3 = 18, analytical 3 * 3 * 3 = 27
    assert "d output[2] / d input[2]" in msg
    assert "18.0" in msg and "27.0" in msg
    assert gradcheck(f, (a, b), raise_exception=False) is False


def test_gradcheck_names_output_and_original_input_index():
    bad = _bad_square()
    x = t64([0.5, -2.0], requires_grad=True)
    c = t64([1.0, 1.0])                     # does not require grad
    y = t64([[1.0, -1.0], [2.0, 0.25]], requires_grad=True)

    def f(x, c, y):
        return x * c, dualrev.core.bind(bad, (y,)).sum()
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, (x, c, y))
    msg = str(info.value)
    assert "output 1" in msg and "input 2" in msg
    # scalar output, worst entry at y[1, 0] = 2: numerical 4, analytical 6
    assert "d output / d input[1, 0]" in msg
    # bad first input
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda y, x: dualrev.core.bind(bad, (y,)) + x, (t64([1.0], True),
                                                                   t64([2.0], True)))


def test_gradcheck_message_prints_plain_numbers():
    bad = _bad_square()
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda b: dualrev.core.bind(bad, (b,)), (t64([3.0], True),))
    assert "np.float64" not in str(info.value)


def test_gradgradcheck_catches_wrong_second_derivative():
    # first derivative 2 g x is right; but x is stop_gradient'ed inside the rule,
    # so the derivative of the VJP with respect to x (2 g) comes out 0
    sq = dualrev.Primitive("sg_square", np.square,
                           jvp=(lambda x_dot, ans, x: 2 * x * x_dot,),
                           vjp=(lambda g, ans, x: 2 * g * dualrev.stop_gradient(x),),
                           elementwise=True, register=False)
    x = t64([0.5, -1.5, 3.0], requires_grad=True)

    def f(x):
        return dualrev.core.bind(sq, (x,))
    assert gradcheck(f, (x,)) is True
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(f, (x,))
    assert "input 0" in str(info.value)
    assert gradgradcheck(f, (x,), raise_exception=False) is False
    # with given grad_outputs the worst entry is known: d(2 g x)/dx = 2 g, largest at |g| = 5
    go = t64([1.0, 5.0, -2.0], requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(f, (x,), (go,))
    assert "output 0 with respect to input 0" in str(info.value)
    assert "d output[1] / d input[1]" in str(info.value)
    # the same function written with ordinary operations passes
    assert gradgradcheck(lambda x: x * x, (x,), (go,)) is True


def test_autograd_grad_second_derivative_of_cross_entropy_vs_jax():
    rng = np.random.default_rng(30)
    z = rng.normal(size=(2, 3))
    target = np.array([2, 0])
    zt = t64(z, requires_grad=True)
    loss = F.cross_entropy(zt, dualrev.tensor(target))
    (g,) = dualrev.autograd.grad(loss, zt, create_graph=True)
    v = rng.normal(size=(2, 3))
    (hv,) = dualrev.autograd.grad((g * t64(v)).sum(), zt)

    def ref(a):
        return _jax_cross_entropy(a, jnp.asarray(target), None, "mean", 0.0, False)
    rg, rhv = jax.jit(lambda a, t: jax.jvp(jax.grad(ref), (a,), (t,)))(jnp.asarray(z),
                                                                     jnp.asarray(v))
    assert_close(g, np.asarray(rg))
    assert_close(hv, np.asarray(rhv))
