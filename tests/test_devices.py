"""Devices, as PyTorch's: ``dualrev.device``, ``dualrev.cuda``, tensors, modules and
optimizers on ``"cuda"``.

Without a GPU (CI has none) ``"cuda"`` is unavailable and asking for it raises.
The CUDA code paths still run here, honestly, on a stand-in for CuPy: the
CUDA backend (``dualrev.cuda.backend``, one small object) replaced by one whose
arrays are ``array_api_strict``'s on ``Device("device1")`` (``cuda:0``) and
``Device("device2")`` (``cuda:1``).  Those arrays refuse to become NumPy
arrays, refuse NumPy scalars and arrays, and refuse arrays of another device,
as CuPy's do: a hidden conversion to NumPy anywhere fails loudly.
``DeviceBehaviour`` holds the tests that run on the stand-in here and on real
CuPy in test_cupy.py.
"""
import copy
import pickle

import numpy as np
import pytest

import dualrev
import dualrev.cuda
from dualrev import nn
from dualrev.nn import functional as F

xs = pytest.importorskip("array_api_strict")

MIXED = ("Expected all tensors to be on the same device, but found at least two devices, "
         "cuda:0 and cpu!")


class StrictCuda:
    """The CUDA backend's interface on array_api_strict arrays: GPU i is
    ``Device('device<i+1>')``."""

    name = "array_api_strict"
    reason = None

    def __init__(self, count=2):
        self.devices = [xs.Device("device1"), xs.Device("device2")][:count]
        self.xp = xs

    def count(self):
        return len(self.devices)

    def owns(self, x):
        return (x.__class__.__module__.split(".", 1)[0] == "array_api_strict"
                and x.device in self.devices)

    def index(self, x):
        return self.devices.index(x.device)

    def current(self):
        return 0

    def to_device(self, x, index):
        if isinstance(x, (np.ndarray, np.generic)):
            return xs.asarray(x, device=self.devices[index])
        return x.to_device(self.devices[index])

    def to_host(self, x):
        return np.array(x.to_device(xs.Device("CPU_DEVICE"))._array, copy=True)

    def synchronize(self, index):
        pass


def raw(t):
    """A tensor's array, as the engine holds it (graph and transformations stripped)."""
    return dualrev.core.strip(t._value)


def host(t):
    """A tensor's values as a NumPy array, checked to live where its device says."""
    x = raw(t)
    b = dualrev.cuda.backend
    if t.device.type == "cuda":
        assert b.owns(x), f"a cuda tensor holds {type(x).__name__}, not the backend's array"
        assert b.index(x) == t.device.index
        return b.to_host(x)
    assert isinstance(x, np.ndarray), f"a cpu tensor holds {type(x).__name__}"
    return x


def on_cuda(t, index=0):
    assert t.device == dualrev.device("cuda", index), t.device
    assert t.is_cuda and t.get_device() == index
    host(t)
    return True


# ============================================================================ device objects

@pytest.mark.parametrize("spec, args, type_, index, text", [
    ("cpu", (), "cpu", None, "cpu"),
    ("cuda", (), "cuda", None, "cuda"),
    ("cuda:0", (), "cuda", 0, "cuda:0"),
    ("cuda", (1,), "cuda", 1, "cuda:1"),
    ("cpu:0", (), "cpu", 0, "cpu:0"),
    (3, (), "cuda", 3, "cuda:3"),
])
def test_device_objects(spec, args, type_, index, text):
    d = dualrev.device(spec, *args)
    assert (d.type, d.index, str(d)) == (type_, index, text)
    assert repr(d) == (f"device(type='{type_}')" if index is None
                       else f"device(type='{type_}', index={index})")
    assert dualrev.device(d) is d
    assert d == dualrev.device(text) and hash(d) == hash(dualrev.device(text))
    assert pickle.loads(pickle.dumps(d)) == d


def test_device_equality_is_torchs():
    assert repr(dualrev.device("cuda", 0)) == "device(type='cuda', index=0)"
    assert dualrev.device("cuda:0") == dualrev.device("cuda", 0)
    assert dualrev.device("cuda") != dualrev.device("cuda:0")
    assert dualrev.device("cpu") != dualrev.device("cpu:0")
    # as torch.device: a device never equals a string (compare .type instead)
    assert dualrev.device("cpu") != "cpu" and not dualrev.device("cuda:0") == "cuda:0"
    assert {dualrev.device("cpu"): 1}[dualrev.device("cpu")] == 1
    with pytest.raises(AttributeError):
        dualrev.device("cpu").type = "cuda"


@pytest.mark.parametrize("args, error, message", [
    (("foo",), RuntimeError, "Expected one of cpu, cuda device type at start of device "
                             "string: foo"),
    (("CUDA",), RuntimeError, "Expected one of cpu, cuda device type at start of device "
                              "string: CUDA"),
    (("mps",), RuntimeError, "Expected one of cpu, cuda device type at start of device "
                             "string: mps"),
    (("cuda:x",), RuntimeError, "Invalid device string: 'cuda:x'"),
    (("cuda:-1",), RuntimeError, "Invalid device string: 'cuda:-1'"),
    (("cuda:01",), RuntimeError, "Invalid device string: 'cuda:01'"),
    ((" cuda",), RuntimeError, "Invalid device string: ' cuda'"),
    (("cuda:0:1",), RuntimeError, "Invalid device string: 'cuda:0:1'"),
    (("",), RuntimeError, "Device string must not be empty"),
    (("cuda", -1), RuntimeError, "Device index must not be negative"),
    (("cuda:0", 1), RuntimeError, "type (string) must not include an index because index "
                                  "was passed explicitly: cuda:0"),
    (("cuda", "0"), TypeError, "argument 'index' must be int, not str"),
    ((1.5,), TypeError, "got float"),
    ((None,), TypeError, "got NoneType"),
])
def test_bad_device_specs_raise_as_torch(args, error, message):
    with pytest.raises(error) as info:
        dualrev.device(*args)
    assert message in str(info.value)


# ============================================================================ no GPU

@pytest.fixture
def no_gpu(monkeypatch):
    """The real CUDA backend, as on a machine without CuPy or without a GPU."""
    if dualrev.cuda.CuPyBackend().count() > 0:
        pytest.skip("this machine has a GPU")
    monkeypatch.setattr(dualrev.cuda, "backend", dualrev.cuda.CuPyBackend())


def test_without_a_gpu_cuda_is_unavailable(no_gpu):
    assert dualrev.cuda.is_available() is False
    assert dualrev.cuda.device_count() == 0
    device = "cuda" if dualrev.cuda.is_available() else "cpu"     # the tutorials' first line
    x = dualrev.randn(2, 3, device=device)
    model = nn.Linear(3, 1).to(device)
    assert model(x).device == dualrev.device("cpu")


@pytest.mark.parametrize("make", [
    lambda: dualrev.zeros(2, device="cuda"),
    lambda: dualrev.tensor([1.0], device="cuda:0"),
    lambda: dualrev.randn(2, device=dualrev.device("cuda")),
    lambda: dualrev.ones(2).cuda(),
    lambda: dualrev.ones(2).to("cuda"),
    lambda: nn.Linear(2, 2).to("cuda"),
    lambda: nn.Linear(2, 2).cuda(),
    lambda: nn.Linear(2, 2, device="cuda"),
    lambda: dualrev.cuda.current_device(),
    lambda: dualrev.cuda.synchronize(),
], ids=["zeros", "tensor", "randn", "Tensor.cuda", "Tensor.to", "Module.to", "Module.cuda",
        "Linear", "current_device", "synchronize"])
def test_without_a_gpu_cuda_raises_naming_cupy(no_gpu, make):
    with pytest.raises(dualrev.cuda.CudaUnavailableError) as info:
        make()
    assert isinstance(info.value, AssertionError) and isinstance(info.value, RuntimeError)
    assert "dualrev found no CUDA GPU" in str(info.value) and "CuPy" in str(info.value)


def _fake_cupy(monkeypatch, count):
    """A module named cupy whose device count is ``count`` (an exception: raised)."""
    import sys
    import types

    def get_count():
        if isinstance(count, Exception):
            raise count
        return count
    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=get_count))
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setattr(dualrev.cuda, "backend", dualrev.cuda.CuPyBackend())


class CUDARuntimeError(RuntimeError):
    pass


@pytest.mark.parametrize("count, reason", [
    (CUDARuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected"),
     "CuPy sees no GPU (CUDARuntimeError: cudaErrorNoDevice"),
    (CUDARuntimeError("cudaErrorInsufficientDriver: CUDA driver version is insufficient"),
     "CuPy sees no GPU (CUDARuntimeError: cudaErrorInsufficientDriver"),
    (OSError("libcudart.so.12: cannot open shared object file"), "CuPy sees no GPU (OSError"),
    (0, "CuPy sees no GPU"),
], ids=["no device", "no driver", "no runtime", "zero"])
def test_cupy_without_a_usable_gpu_is_unavailable_not_an_error(monkeypatch, count, reason):
    _fake_cupy(monkeypatch, count)
    assert dualrev.cuda.is_available() is False and dualrev.cuda.device_count() == 0
    with pytest.raises(dualrev.cuda.CudaUnavailableError, match=reason.replace("(", r"\(")):
        dualrev.zeros(1, device="cuda")


def test_cpu_round_trips_return_the_tensor():
    cpu = dualrev.device("cpu")
    x = dualrev.tensor([1.0, 2.0], requires_grad=True)
    assert x.device == cpu and not x.is_cuda and x.is_cpu and x.get_device() == -1
    for same in (x.to("cpu"), x.cpu(), x.to(cpu), x.to(device="cpu"), x.to(x), x.to(None),
                 x.to("cpu", dualrev.float32)):
        assert same is x
    y = x.to("cpu", dualrev.float64)
    assert y.dtype == np.float64 and y.device == cpu
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])
    z = x.to("cpu", copy=True)
    assert z is not x and z.device == cpu
    m = nn.Linear(2, 1, device="cpu")
    assert m.to("cpu") is m and m.cpu() is m and m.to(dualrev.device("cpu")) is m
    assert m.weight.device == cpu
    for make in (dualrev.zeros, dualrev.ones, dualrev.randn, dualrev.rand, dualrev.empty):
        assert make(2, device="cpu").device == cpu
    assert dualrev.tensor([1], device=cpu).device == cpu


# ============================================================================ on a device

class DeviceBehaviour:
    """Tensors, modules and optimizers on 'cuda', run against ``dualrev.cuda.backend``
    as the subclass sets it up (a fixture named ``gpu``)."""

    # ------------------------------------------------------------ making tensors

    def test_factories_on_the_device(self, gpu):
        dualrev.manual_seed(0)
        cpu_draws = [dualrev.randn(3, 2), dualrev.rand(4)]
        dualrev.manual_seed(0)
        cuda_draws = [dualrev.randn(3, 2, device="cuda"), dualrev.rand(4, device="cuda")]
        for c, g in zip(cpu_draws, cuda_draws):     # drawn on the host: the same values
            assert on_cuda(g) and g.dtype == np.float32
            np.testing.assert_array_equal(host(g), host(c))
        made = {
            "tensor": (dualrev.tensor([[1.0, 2.0]], device="cuda"), [[1.0, 2.0]]),
            "zeros": (dualrev.zeros(2, 3, device="cuda"), np.zeros((2, 3))),
            "ones": (dualrev.ones((2,), device="cuda:0", dtype=dualrev.float64), np.ones(2)),
            "full": (dualrev.full((2,), 7.0, device=dualrev.device("cuda")), [7.0, 7.0]),
            "arange": (dualrev.arange(4, device="cuda"), np.arange(4)),
            "eye": (dualrev.eye(2, device="cuda"), np.eye(2)),
            "linspace": (dualrev.linspace(0, 1, 3, device="cuda"), [0.0, 0.5, 1.0]),
            "empty": (dualrev.empty(2, device="cuda"), None),
            "randint": (dualrev.randint(0, 3, (5,), device="cuda"), None),
            "randperm": (dualrev.randperm(4, device="cuda"), None),
        }
        for name, (t, want) in made.items():
            assert on_cuda(t), name
            if want is not None:
                np.testing.assert_array_equal(host(t), want, err_msg=name)
        assert made["arange"][0].dtype == np.int64 and made["ones"][0].dtype == np.float64
        assert sorted(host(made["randperm"][0])) == [0, 1, 2, 3]
        x = made["zeros"][0]
        for like in (dualrev.zeros_like(x), dualrev.ones_like(x), dualrev.full_like(x, 2.0),
                     dualrev.empty_like(x), dualrev.randn_like(x), dualrev.rand_like(x)):
            assert on_cuda(like) and like.shape == x.shape
        assert dualrev.zeros_like(x, device="cpu").device == dualrev.device("cpu")

    def test_requires_grad_and_tensor_of_a_device_tensor(self, gpu):
        x = dualrev.tensor([1.0, 2.0], device="cuda", requires_grad=True)
        assert on_cuda(x) and x.requires_grad and x.is_leaf
        y = dualrev.tensor(x.detach())              # a copy, on x's device
        assert on_cuda(y) and raw(y) is not raw(x)
        assert dualrev.tensor(x.detach(), device="cpu").device == dualrev.device("cpu")
        z = dualrev.as_tensor(raw(x))               # a backend array: shared, on its device
        assert on_cuda(z) and raw(z) is raw(x)
        assert dualrev.as_tensor(x) is x
        assert dualrev.as_tensor(x, dtype=dualrev.float64).dtype == np.float64

    def test_to_cpu_cuda_round_trips(self, gpu):
        c = dualrev.tensor([[1.0, -2.0], [3.0, 4.5]])
        g = c.to("cuda")
        assert on_cuda(g) and g.dtype == c.dtype
        np.testing.assert_array_equal(host(g), host(c))
        assert g.to("cuda") is g and g.to("cuda:0") is g and g.cuda() is g
        assert g.to(g) is g
        back = g.cpu()
        assert back.device == dualrev.device("cpu") and isinstance(raw(back), np.ndarray)
        np.testing.assert_array_equal(back.numpy(), c.numpy())
        for t in (c.cuda(), c.cuda(0), c.to(dualrev.device("cuda", 0)), c.to(device="cuda"),
                  c.to(0), c.to(g)):
            assert on_cuda(t)
        d = c.to("cuda", dualrev.float64)
        assert on_cuda(d) and d.dtype == np.float64
        e = g.to(dualrev.float64)
        assert on_cuda(e) and e.dtype == np.float64
        assert c.to(e).dtype == np.float64 and on_cuda(c.to(e))
        f = g.to("cuda", copy=True)
        assert on_cuda(f) and raw(f) is not raw(g)
        assert on_cuda(g.detach()) and on_cuda(g.clone()) and on_cuda(copy.deepcopy(g))
        h = pickle.loads(pickle.dumps(g))
        assert on_cuda(h)
        np.testing.assert_array_equal(host(h), host(g))

    def test_host_conversions(self, gpu):
        g = dualrev.tensor([[1.5, 2.0]], device="cuda")
        message = ("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to "
                   "copy the tensor to host memory first.")
        with pytest.raises(TypeError) as info:
            g.numpy()
        assert str(info.value) == message
        with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor"):
            np.asarray(g)
        assert g.sum().item() == 3.5 and g.tolist() == [[1.5, 2.0]]
        assert float(g[0, 0]) == 1.5 and bool(g[0, 1] > 1)
        assert g.cpu().numpy().tolist() == [[1.5, 2.0]]
        assert repr(g) == "tensor([[1.5000, 2.0000]], device='cuda:0')"
        r = dualrev.zeros(2, device="cuda", dtype=dualrev.float64, requires_grad=True)
        assert repr(r) == "tensor([0., 0.], device='cuda:0', dtype=float64, requires_grad=True)"

    # ------------------------------------------------------------ operations

    def test_operations_stay_on_the_device(self, gpu):
        a = dualrev.tensor([[1.0, -2.0], [0.5, 3.0]], device="cuda")
        b = dualrev.tensor([[2.0, 1.0], [1.0, -1.0]], device="cuda")
        an, bn = host(a), host(b)
        for name, got, want in [
            ("arith", a * b + 1.0 - a / 2, an * bn + 1.0 - an / 2),
            ("matmul", a @ b, an @ bn),
            ("tanh", a.tanh(), np.tanh(an)),
            ("relu", a.relu(), np.maximum(an, 0)),
            ("sum", a.sum(1), an.sum(1)),
            ("mean", a.mean(), an.mean()),
            ("T", a.T, an.T),
            ("reshape", a.reshape(4), an.reshape(4)),
            ("cat", dualrev.cat([a, b]), np.concatenate([an, bn])),
            ("index", a[1], an[1]),
            ("compare", a > b, an > bn),
            ("argmax", a.argmax(1), an.argmax(1)),
            ("clamp", a.clamp(-1.0, 1.0), np.clip(an, -1, 1)),
            ("softmax", a.softmax(1), np.exp(an) / np.exp(an).sum(1, keepdims=True)),
            ("where", dualrev.where(a > 0, a, b), np.where(an > 0, an, bn)),
        ]:
            assert on_cuda(got), name
            np.testing.assert_allclose(host(got), want, rtol=1e-6, err_msg=name)
        assert a.allclose(a) and dualrev.equal(a, a) and not dualrev.equal(a, b)

    def test_max_along_a_dim_on_the_device(self, gpu):
        a = dualrev.tensor([[1.0, -2.0], [0.5, 3.0]], device="cuda", requires_grad=True)
        values, idx = a.max(1)
        assert on_cuda(values) and on_cuda(idx)
        np.testing.assert_array_equal(host(values), [1.0, 3.0])
        np.testing.assert_array_equal(host(idx), [0, 1])
        values.sum().backward()
        np.testing.assert_array_equal(host(a.grad), [[1.0, 0.0], [0.0, 1.0]])

    def test_in_place_operations_on_the_device(self, gpu):
        t = dualrev.ones(3, device="cuda")
        t.add_(1.0)
        t.mul_(dualrev.full((3,), 3.0, device="cuda"))
        t[0] = 0.5
        assert on_cuda(t) and host(t).tolist() == [0.5, 6.0, 6.0] and t._version == 3
        t.zero_()
        assert host(t).tolist() == [0.0, 0.0, 0.0]
        t.copy_(dualrev.tensor([1.0, 2.0, 3.0]))          # copy_ crosses devices
        assert on_cuda(t) and host(t).tolist() == [1.0, 2.0, 3.0]
        c = dualrev.zeros(3)
        c.copy_(t)
        assert host(c).tolist() == [1.0, 2.0, 3.0]

    @pytest.mark.filterwarnings("ignore:You are comparing a array_api_strict dtype")
    def test_mixed_devices_raise_as_torch(self, gpu):
        g = dualrev.ones(2, device="cuda")
        c = dualrev.ones(2)
        for op in (lambda: g + c, lambda: c + g, lambda: g * c, lambda: c @ g,
                   lambda: dualrev.cat([g, c]), lambda: dualrev.stack([c, g]),
                   lambda: g > c, lambda: c.add_(g), lambda: g.add_(c),
                   lambda: dualrev.maximum(g, c), lambda: g.allclose(c)):
            with pytest.raises(RuntimeError) as info:
                op()
            assert str(info.value) == MIXED
        w = dualrev.ones(2, 2, requires_grad=True)         # recorded operations too
        with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cpu"):
            g @ w
        logits = dualrev.zeros(3, 4, device="cuda", requires_grad=True)
        with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cpu"):
            F.cross_entropy(logits, dualrev.tensor([0, 1, 2]))
        with pytest.raises(RuntimeError, match="found at least two devices, cuda:0 and cpu"):
            logits.sum().backward(dualrev.tensor(1.0))

    def test_two_gpus_raise_as_torch(self, gpu):
        if dualrev.cuda.device_count() < 2:
            pytest.skip("one GPU")
        a, b = dualrev.ones(2, device="cuda:0"), dualrev.ones(2, device="cuda:1")
        assert on_cuda(b, 1) and on_cuda(a.to("cuda:1"), 1) and on_cuda(b.cuda(0), 0)
        with pytest.raises(RuntimeError) as info:
            a + b
        assert str(info.value) == ("Expected all tensors to be on the same device, but found "
                                   "at least two devices, cuda:0 and cuda:1!")

    def test_cuda_functions(self, gpu):
        assert dualrev.cuda.is_available() and dualrev.cuda.current_device() == 0
        dualrev.cuda.synchronize()
        dualrev.cuda.synchronize("cuda:0")
        dualrev.cuda.manual_seed(5)
        a = dualrev.randn(3, device="cuda")
        dualrev.manual_seed(5)
        np.testing.assert_array_equal(host(a), host(dualrev.randn(3)))

    def test_an_index_past_the_gpus_raises(self, gpu):
        n = dualrev.cuda.device_count()
        with pytest.raises(RuntimeError, match="invalid device ordinal"):
            dualrev.zeros(1, device=f"cuda:{n}")

    # ------------------------------------------------------------ gradients

    def test_backward_on_the_device(self, gpu):
        xn = np.array([0.5, -1.0, 2.0])
        x = dualrev.tensor(xn, device="cuda", requires_grad=True)
        w = dualrev.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], dtype=dualrev.float64,
                           device="cuda", requires_grad=True)
        y = (dualrev.tanh(w @ x) ** 2).sum() + (x * x).sum()
        assert on_cuda(y)
        y.backward()
        assert on_cuda(x.grad) and on_cuda(w.grad)
        wn = host(w)
        h = np.tanh(wn @ xn)
        gh = 2 * h * (1 - h * h)
        np.testing.assert_allclose(host(x.grad), wn.T @ gh + 2 * xn, rtol=1e-12)
        np.testing.assert_allclose(host(w.grad), np.outer(gh, xn), rtol=1e-12)
        # a second backward accumulates on the device
        (x * 3.0).sum().backward()
        np.testing.assert_allclose(host(x.grad), wn.T @ gh + 2 * xn + 3.0, rtol=1e-12)
        gx, = dualrev.autograd.grad((x ** 3).sum(), x)
        assert on_cuda(gx)
        np.testing.assert_allclose(host(gx), 3 * xn ** 2, rtol=1e-12)

    def test_to_is_differentiable(self, gpu):
        a = dualrev.tensor([1.0, 2.0, 3.0], dtype=dualrev.float64, requires_grad=True)
        b = a.to("cuda")
        assert on_cuda(b) and b.grad_fn is not None
        (b * b).sum().backward()
        assert a.grad.device == dualrev.device("cpu")
        np.testing.assert_allclose(a.grad.numpy(), [2.0, 4.0, 6.0])
        g = dualrev.tensor([1.0, -1.0], device="cuda", requires_grad=True)
        (g.cpu() * dualrev.tensor([3.0, 4.0])).sum().backward()
        assert on_cuda(g.grad)
        np.testing.assert_allclose(host(g.grad), [3.0, 4.0])
        c = dualrev.tensor([0.5], requires_grad=True)
        (c.cuda().to("cpu", dualrev.float64) * 2).sum().backward()
        assert c.grad.dtype == np.float32 and c.grad.tolist() == [2.0]

    # ------------------------------------------------------------ modules and optimizers

    def test_module_to_moves_parameters_in_place(self, gpu):
        m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        params = list(m.parameters())
        values = [p.detach().numpy().copy() for p in params]
        assert m.to("cuda") is m
        assert [id(p) for p in m.parameters()] == [id(p) for p in params]
        for p, v in zip(m.parameters(), values):
            assert on_cuda(p) and p.requires_grad and p.is_leaf
            np.testing.assert_array_equal(host(p), v)
        assert m.cpu() is m and all(p.device.type == "cpu" for p in m.parameters())
        assert m.cuda() is m and all(on_cuda(p) for p in m.parameters())
        m.double()
        assert all(on_cuda(p) and p.dtype == np.float64 for p in m.parameters())
        m.to("cpu", dualrev.float32)
        assert all(p.device.type == "cpu" and p.dtype == np.float32 for p in m.parameters())
        lin = nn.Linear(2, 3, device="cuda")
        assert on_cuda(lin.weight) and on_cuda(lin.bias)
        assert on_cuda(lin(dualrev.ones(5, 2, device="cuda")))
        sd = {k: v.cpu() for k, v in lin.state_dict().items()}
        other = nn.Linear(2, 3).cuda()
        other.load_state_dict(sd)                       # copies from the CPU
        assert all(on_cuda(p) for p in other.parameters())
        np.testing.assert_array_equal(host(other.weight), host(lin.weight))

    @pytest.mark.parametrize("make_opt", [
        lambda ps: dualrev.optim.SGD(ps, lr=0.1),
        lambda ps: dualrev.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01,
                                     nesterov=True),
        lambda ps: dualrev.optim.Adam(ps, lr=0.01),
        lambda ps: dualrev.optim.AdamW(ps, lr=0.01, amsgrad=True),
    ], ids=["sgd", "sgd-nesterov", "adam", "adamw-amsgrad"])
    def test_training_steps_agree_with_the_cpu(self, gpu, make_opt):
        dualrev.manual_seed(1)
        cpu_model = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3)).double()
        cuda_model = copy.deepcopy(cpu_model).to("cuda")
        # the optimizer made before .to(): it holds the same Parameter objects
        cpu_opt, cuda_opt = make_opt(cpu_model.parameters()), make_opt(cuda_model.parameters())
        X = dualrev.randn(6, 5, dtype=dualrev.float64)
        y = dualrev.tensor([0, 1, 2, 1, 0, 2])
        Xg, yg = X.to("cuda"), y.cuda()
        for _ in range(3):
            losses = []
            for model, opt, a, b in ((cpu_model, cpu_opt, X, y), (cuda_model, cuda_opt, Xg, yg)):
                opt.zero_grad()
                loss = F.cross_entropy(model(a), b)
                loss.backward()
                opt.step()
                losses.append(loss.item())
            assert losses[0] == pytest.approx(losses[1], rel=1e-12)
        for p, q in zip(cpu_model.parameters(), cuda_model.parameters()):
            assert on_cuda(q) and on_cuda(q.grad)
            np.testing.assert_allclose(host(q), host(p), rtol=1e-10, atol=1e-12)
        for state in cuda_opt.state.values():           # the state lives on the device
            for v in state.values():
                if not isinstance(v, (int, float)):
                    assert dualrev.cuda.backend.owns(v)

    def test_zero_grad_and_no_grad_updates_on_the_device(self, gpu):
        lin = nn.Linear(3, 2, device="cuda")
        lin(dualrev.ones(4, 3, device="cuda")).sum().backward()
        lin.zero_grad(set_to_none=False)
        assert all(on_cuda(p.grad) and not host(p.grad).any() for p in lin.parameters())
        with dualrev.no_grad():
            lin.weight.add_(1.0)
            lin.weight -= 0.5
        assert on_cuda(lin.weight) and lin.weight.is_leaf and lin.weight.requires_grad

    def test_mse_loss_and_mlp_on_the_device(self, gpu):
        dualrev.manual_seed(3)
        model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1)).to("cuda")
        opt = dualrev.optim.SGD(model.parameters(), lr=0.05)
        X = dualrev.randn(32, 4, device="cuda")
        y = X.sum(1, keepdim=True)
        first = None
        for _ in range(20):
            opt.zero_grad()
            loss = F.mse_loss(model(X), y)
            loss.backward()
            opt.step()
            first = loss.item() if first is None else first
        assert loss.item() < first


class TestOnStandIn(DeviceBehaviour):
    """DeviceBehaviour with 'cuda' backed by array_api_strict arrays on two devices."""

    @pytest.fixture
    def gpu(self, monkeypatch):
        monkeypatch.setattr(dualrev.cuda, "backend", StrictCuda())
        assert dualrev.cuda.is_available() and dualrev.cuda.device_count() == 2
        return dualrev.cuda.backend


def test_the_stand_in_refuses_numpy_as_cupy_does(monkeypatch):
    monkeypatch.setattr(dualrev.cuda, "backend", StrictCuda())
    x = raw(dualrev.ones(2, device="cuda"))
    with pytest.raises((TypeError, RuntimeError, ValueError)):
        np.asarray(x)
    with pytest.raises(TypeError):
        x + np.ones(2)
    with pytest.raises(TypeError):
        x + np.float64(1.0)
    with pytest.raises(ValueError):
        x + raw(dualrev.ones(2, device="cuda:1"))
