"""Devices on a real GPU: CuPy's arrays behind ``"cuda"``, and the functional API on them.

Skipped without CuPy or without a GPU (``dualrev.cuda.is_available()``).  The
imperative layer runs test_devices.py's ``DeviceBehaviour`` (the tests the
array_api_strict stand-in runs on CI) with the real CUDA backend; the
functional transformations take CuPy arrays and must return CuPy arrays on
the same GPU, equal to the same transformations on NumPy arrays.
"""
import numpy as np
import pytest

cupy = pytest.importorskip("cupy")

import dualrev  # noqa: E402
import dualrev.cuda  # noqa: E402
import dualrev.numpy as dnp  # noqa: E402

if not dualrev.cuda.is_available():
    pytest.skip(f"no GPU for CuPy ({dualrev.cuda.backend.reason})", allow_module_level=True)

from test_devices import DeviceBehaviour, raw  # noqa: E402


class TestOnCuPy(DeviceBehaviour):
    """DeviceBehaviour with 'cuda' backed by CuPy on this machine's GPU."""

    @pytest.fixture
    def gpu(self):
        assert isinstance(dualrev.cuda.backend, dualrev.cuda.CuPyBackend)
        return dualrev.cuda.backend


def test_cuda_module_on_a_gpu():
    assert dualrev.cuda.device_count() == cupy.cuda.runtime.getDeviceCount() >= 1
    assert dualrev.cuda.current_device() == 0
    assert isinstance(dualrev.cuda.get_device_name(), str)
    dualrev.cuda.synchronize()
    t = dualrev.ones(3, device="cuda")
    assert isinstance(raw(t), cupy.ndarray) and raw(t).device.id == 0
    assert repr(t.device) == "device(type='cuda', index=0)"


# ============================================================================ functional API

def f(x, w):
    """A small function of two arrays, with a reduction and a broadcast."""
    h = dnp.tanh(dnp.matmul(w, x)) * dnp.sin(x[:2])
    return dnp.sum(h ** 2) + dnp.mean(dnp.exp(-x * x))


def g(x):
    """A vector function whose Jacobian is full."""
    return dnp.sin(x) * x[::-1] + x ** 3 / dnp.sum(x * x)


X = np.array([0.3, -1.2, 0.8])
W = np.array([[1.0, -0.5, 2.0], [0.25, 1.5, -1.0]])


def on_gpu(tree):
    """tree's leaves as NumPy arrays, after checking each is a CuPy array on GPU 0."""
    if isinstance(tree, (tuple, list)):
        return type(tree)(on_gpu(t) for t in tree)
    assert isinstance(tree, cupy.ndarray), f"expected a CuPy array, got {type(tree).__name__}"
    assert tree.device.id == 0
    return cupy.asnumpy(tree)


def close(got, want):
    if isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        for a, b in zip(got, want):
            close(a, b)
        return
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, run", [
    ("grad", lambda x, w: dualrev.grad(f, (0, 1))(x, w)),
    ("value_and_grad", lambda x, w: dualrev.value_and_grad(f)(x, w)),
    ("jvp", lambda x, w: dualrev.jvp(lambda x: f(x, w), (x,), (x * 0.5 + 1.0,))),
    ("vjp", lambda x, w: dualrev.vjp(g, x)[1](x + 2.0)),
    ("jacfwd", lambda x, w: dualrev.jacfwd(g)(x)),
    ("jacrev", lambda x, w: dualrev.jacrev(g)(x)),
    ("jacfwd-2", lambda x, w: dualrev.jacfwd(f, (0, 1))(x, w)),
    ("hessian", lambda x, w: dualrev.hessian(f)(x, w)),
    ("hvp", lambda x, w: dualrev.hvp(lambda x: f(x, w), (x,), (x,))),
    ("vmap", lambda x, w: dualrev.vmap(lambda r: f(r, w))(w * x)),
    ("vmap-grad", lambda x, w: dualrev.vmap(dualrev.grad(lambda r: f(r, w)))(w * x)),
])
def test_functional_api_on_cupy_arrays(name, run):
    want = run(X, W)
    got = run(cupy.asarray(X), cupy.asarray(W))
    close(on_gpu(got), want)


def test_grad_of_the_benchmark_chain_on_cupy():
    import os
    import sys
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from benchmarks._common import chain_input, make_chain, reference_grad
    chain = make_chain(dnp.sin, dnp.tanh, dnp.sum, 40)
    x = chain_input(1000)
    got = dualrev.grad(chain)(cupy.asarray(x))
    close(on_gpu(got), reference_grad(x, 40))
