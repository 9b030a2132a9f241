"""Complex Tensors in the imperative layer, by PyTorch's convention.

The tape (and the functional API) follows JAX: for a real loss L of z = a + ib the
cotangent reaching z is dL/da - i dL/db.  PyTorch's ``.grad`` is its conjugate,
dL/da + i dL/db; for a seed v, ``torch_vjp(v) = conj(jax_vjp(conj(v)))``.  Checked:

1. gradients against closed forms (numbers first read off PyTorch by hand), against
   JAX (the conjugate of ``jax.grad``), for seeds, retained gradients, ``inputs=``,
   ``autograd.grad`` and double backward with ``create_graph``;
2. ``real``, ``imag`` (views), ``conj``, ``angle``, ``abs``, ``norm`` and the casts;
3. dtypes: Python complex numbers give the default dtype's complex counterpart;
4. printing, exactly as PyTorch prints (``torch.`` left out of dtypes, as for reals);
5. optimizers: a complex parameter is updated as its real and imaginary parts;
6. gradcheck refuses complex values with a clear error.
"""
import numpy as np
import pytest

import dualrev
from dualrev import autograd
from helpers import jax, jnp

C128 = dualrev.complex128


def c128(a, requires_grad=False):
    return dualrev.tensor(np.asarray(a, dtype=np.complex128), dtype=C128,
                          requires_grad=requires_grad)


def arr(t):
    return np.array(t.detach().numpy())


def close(actual, expected, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


Z0 = np.array([1 + 2j, -0.5 + 0.25j, 0.3 - 1.2j])


# =============================================================================
# 1. The gradient convention
# =============================================================================


def test_gradient_of_abs_squared_is_2z():
    z = dualrev.tensor(1 + 2j, requires_grad=True)
    (z.abs() ** 2).sum().backward()
    assert z.grad.dtype == dualrev.complex64
    assert z.grad.item() == 2 + 4j
    assert repr(z.grad) == "tensor(2.+4.j)"


def _mixed(m, z):
    """Re(z^2) + Im(3i conj z) + angle z + |z|, summed (m: dualrev or jax.numpy)."""
    if m is jnp:
        return jnp.sum(jnp.real(z * z) + jnp.imag(3j * jnp.conj(z)) + jnp.angle(z) + jnp.abs(z))
    return ((z * z).real + (z.conj() * 3j).imag + z.angle() + z.abs()).sum()


def test_gradient_of_a_real_loss_in_closed_form_and_against_jax():
    z = c128(Z0, requires_grad=True)
    _mixed(dualrev, z).backward()
    # dL/da + i dL/db of each term: 2 conj z, 3, i z / |z|^2, z / |z|.
    r2 = np.abs(Z0) ** 2
    expected = 2 * np.conj(Z0) + 3 + 1j * Z0 / r2 + Z0 / np.abs(Z0)
    close(arr(z.grad), expected)
    close(arr(z.grad)[0], 5.047213595499958 - 2.9055728090000843j)   # PyTorch, by hand
    close(arr(z.grad), np.conj(np.asarray(jax.grad(lambda w: _mixed(jnp, w))(Z0))))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradients_agree_with_the_conjugate_of_jax_grad(seed):
    rng = np.random.default_rng(seed)
    z0 = rng.standard_normal(4) + 1j * rng.standard_normal(4)
    w0 = rng.standard_normal(4) + 1j * rng.standard_normal(4)

    def f(m, z, w):
        u = m.sin(z) * w + m.exp(z / 4) * m.conj(w)
        v = u * m.conj(u) + z * w
        return m.sum(m.real(v) * m.imag(u)) + m.sum(m.abs(u - w))

    z, w = c128(z0, requires_grad=True), c128(w0, requires_grad=True)
    f(dualrev, z, w).backward()
    gz, gw = jax.grad(lambda a, b: f(jnp, a, b), argnums=(0, 1))(z0, w0)
    close(arr(z.grad), np.conj(np.asarray(gz)))
    close(arr(w.grad), np.conj(np.asarray(gw)))


@pytest.mark.parametrize("name, fn, seed, expected", [
    # PyTorch: the seed v times the conjugate of the derivative (holomorphic functions).
    ("z * (2 - 1j)", lambda z: z * (2 - 1j), 0.5 - 1j, 2 - 1.5j),
    ("z * z", lambda z: z * z, 1j, 4 + 2j),
])
def test_upstream_gradient_of_a_complex_output(name, fn, seed, expected):
    z = c128([1 + 2j], requires_grad=True)
    fn(z).backward(c128([seed]))
    assert arr(z.grad).tolist() == [expected]
    z.grad = None
    autograd.backward([fn(z)], [c128([seed])])
    assert arr(z.grad).tolist() == [expected]
    (g,) = autograd.grad(fn(z), z, c128([seed]))
    assert arr(g).tolist() == [expected]


def test_gradients_at_zero_and_on_the_real_axis_print_as_pytorchs():
    z = dualrev.tensor([0j, 1 + 0j, -2 + 0j], requires_grad=True)
    z.abs().sum().backward()
    assert repr(z.grad) == "tensor([ 0.+0.j,  1.+0.j, -1.+0.j])"
    assert not np.signbit(arr(z.grad).imag).any()


def test_a_real_leaf_through_complex_values_gets_a_real_gradient():
    x = dualrev.tensor([0.5, 2.0], dtype=dualrev.float64, requires_grad=True)
    w = x * (1 + 2j)
    (w.abs() ** 2).sum().backward()
    assert x.grad.dtype == dualrev.float64
    assert arr(x.grad).tolist() == [5.0, 20.0]       # d(5 x^2)/dx


def test_backward_of_a_complex_output_needs_a_gradient():
    z = dualrev.tensor(1 + 2j, requires_grad=True)
    with pytest.raises(RuntimeError, match="only for real scalar outputs but got complex64"):
        (z * 2).backward()
    assert z.grad is None


def test_retained_gradient_and_the_leafs_are_both_pytorchs():
    z = c128([1 + 2j], requires_grad=True)
    u = z * z
    u.retain_grad()
    (u.abs() ** 2).sum().backward()
    close(arr(u.grad), [-6 + 8j])                     # 2u
    close(arr(z.grad), [20 + 40j])                    # 4 |z|^2 z


def test_backward_with_inputs_and_autograd_grad_of_a_non_leaf():
    z = c128([1 + 2j], requires_grad=True)
    u = z * z
    loss = (u.abs() ** 2).sum()
    loss.backward(inputs=[u], retain_graph=True)
    close(arr(u.grad), [-6 + 8j])
    assert z.grad is None
    gu, gz = autograd.grad(loss, [u, z])
    close(arr(gu), [-6 + 8j])
    close(arr(gz), [20 + 40j])


def test_double_backward_with_create_graph():
    z = c128([1 + 2j, 0.5 - 1j], requires_grad=True)
    (g,) = autograd.grad((z.abs() ** 4).sum(), z, create_graph=True)
    assert g.requires_grad
    close(arr(g), 4 * np.abs(arr(z)) ** 2 * arr(z))            # [20+40j, 2.5-5j]
    (h,) = autograd.grad((g.abs() ** 2).sum(), z)
    close(arr(h), 96 * np.abs(arr(z)) ** 4 * arr(z))           # [2400+4800j, 75-150j]
    # and into .grad
    (g,) = autograd.grad((z.abs() ** 4).sum(), z, create_graph=True)
    (g.abs() ** 2).sum().backward()
    close(arr(z.grad), [2400 + 4800j, 75 - 150j])


def test_create_graph_with_a_seed_that_requires_grad():
    z = c128([1 + 2j, -0.5 + 0.25j], requires_grad=True)
    v = c128([0.5 - 1j, 2 + 0.5j], requires_grad=True)
    (g,) = autograd.grad(z * z, z, grad_outputs=v, create_graph=True)
    close(arr(g), arr(v) * np.conj(2 * arr(z)))
    gz, gv = autograd.grad((g.abs() ** 2).sum(), [z, v])
    # |g|^2 = 4 |v|^2 |z|^2; PyTorch (by hand): [10+20j, -17+8.5j] and [20-40j, 5+1.25j].
    close(arr(gz), 8 * np.abs(arr(v)) ** 2 * arr(z))
    close(arr(gv), 8 * np.abs(arr(z)) ** 2 * arr(v))
    close(arr(gz), [10 + 20j, -17 + 8.5j])


def test_complex_gradients_accumulate():
    z = c128([1 + 2j], requires_grad=True)
    (z.abs() ** 2).sum().backward()
    (z * (1 - 1j)).real.sum().backward()      # d Re((1-i) z) = d(a + b): 1 + 1i
    assert arr(z.grad).tolist() == [(2 + 4j) + (1 + 1j)]


# =============================================================================
# 2. Methods
# =============================================================================


def test_real_imag_conj_angle_abs_values_and_gradients():
    z = c128(Z0, requires_grad=True)
    for name, t, value, grad in [
            ("real", lambda z: z.real, Z0.real, np.ones(3)),
            ("imag", lambda z: z.imag, Z0.imag, np.full(3, 1j)),
            ("angle", lambda z: z.angle(), np.angle(Z0), 1j / np.conj(Z0)),
            ("abs", lambda z: z.abs(), np.abs(Z0), Z0 / np.abs(Z0)),
            ("conj().real", lambda z: z.conj().real, Z0.real, np.ones(3)),
            ("conj().imag", lambda z: z.conj().imag, -Z0.imag, np.full(3, -1j))]:
        z.grad = None
        out = t(z)
        assert out.dtype == dualrev.float64, name
        close(arr(out), value)
        out.sum().backward()
        close(arr(z.grad), grad)
    assert dualrev.is_complex(z) and z.is_complex() and not z.is_floating_point()
    close(arr(dualrev.conj(z)), np.conj(Z0))
    close(arr(dualrev.real(z)), Z0.real)
    close(arr(dualrev.imag(z)), Z0.imag)
    close(arr(dualrev.angle(z)), np.angle(Z0))


def test_angle_at_zero_has_gradient_zero_as_pytorch():
    z = c128([0j, 1 + 0j, 1j], requires_grad=True)
    a = z.angle()
    assert arr(a).tolist() == [0.0, 0.0, np.pi / 2]
    a.sum().backward()
    assert arr(z.grad).tolist() == [0j, 1j, -1 + 0j]     # i / conj(z), 0 at 0


def test_real_and_imag_are_views_sharing_the_version_counter():
    z = c128([1 + 2j, 3 - 1j])
    r, i = z.real, z.imag
    r += 1
    i *= 2
    assert arr(z).tolist() == [2 + 4j, 4 - 2j]
    assert z._version == 2 and r._base is z and i._base is z
    # A recorded computation that saved z refuses backward once z changed through a view.
    w = c128([1 + 2j], requires_grad=True)
    zz = w * 1
    loss = (zz * zz).real.sum()
    with dualrev.no_grad():
        zz.real.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        loss.backward()
    # Recorded in place on such a view: refused, naming the view.
    with pytest.raises(RuntimeError, match="mul_: an in-place operation that must be recorded "
                                           "on a view made by .*real or imag is not supported"):
        (w * 1).real.mul_(2)


def test_on_real_tensors_real_and_conj_are_the_tensor_itself_and_imag_is_refused():
    x = dualrev.tensor([1.0, -2.0], requires_grad=True)
    assert x.real is x and x.conj() is x and dualrev.real(x) is x
    with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex "
                                           "dtypes .*float32"):
        x.imag
    a = x.angle()
    assert arr(a).tolist() == [0.0, np.float32(np.pi)]
    a.sum().backward()
    assert arr(x.grad).tolist() == [0.0, 0.0]
    assert x.is_floating_point() and not x.is_complex()


def test_norm_of_a_complex_tensor():
    z = c128([3 + 4j, 1j], requires_grad=True)
    n = z.norm()
    assert n.dtype == dualrev.float64
    close(arr(n), np.sqrt(26.0))
    n.backward()
    close(arr(z.grad), arr(z) / np.sqrt(26.0))          # z / |z|, as PyTorch


def test_casts_between_real_and_complex_are_recorded():
    x = dualrev.tensor([0.5, -2.0], dtype=dualrev.float64, requires_grad=True)
    z = x.cdouble()
    assert z.dtype == C128 and x.cfloat().dtype == dualrev.complex64
    ((z * (1 + 1j)).abs() ** 2).sum().backward()
    assert x.grad.dtype == dualrev.float64
    assert arr(x.grad).tolist() == [2.0, -8.0]          # d(2 x^2)/dx


# =============================================================================
# 3. Dtypes
# =============================================================================


def test_python_complex_numbers_give_the_default_complex_dtype():
    assert dualrev.tensor(1 + 2j).dtype == dualrev.complex64
    assert dualrev.tensor([1.0, 2 + 1j]).dtype == dualrev.complex64
    assert dualrev.tensor([1, 2j]).dtype == dualrev.complex64
    assert dualrev.as_tensor(1j).dtype == dualrev.complex64
    assert dualrev.full((2,), 1 + 2j).dtype == dualrev.complex64
    assert dualrev.tensor(np.array([1 + 2j])).dtype == dualrev.complex128     # NumPy's kept
    assert dualrev.tensor(1 + 2j, dtype=dualrev.cdouble).dtype == dualrev.complex128
    try:
        dualrev.set_default_dtype(dualrev.float64)
        assert dualrev.tensor(1 + 2j).dtype == dualrev.complex128
        assert dualrev.full((2,), 1j).dtype == dualrev.complex128
    finally:
        dualrev.set_default_dtype(dualrev.float32)
    assert (dualrev.cfloat, dualrev.cdouble) == (dualrev.complex64, dualrev.complex128)
    assert dualrev.zeros(2, dtype=dualrev.cfloat).dtype == dualrev.complex64


def test_complex_tensors_may_require_grad_integers_may_not():
    z = dualrev.tensor([1 + 2j], requires_grad=True)
    assert z.requires_grad and z.is_leaf
    with pytest.raises(RuntimeError, match="only tensors of floating point dtype"):
        dualrev.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
def test_randn_and_rand_of_complex_dtypes(dtype):
    dt = getattr(dualrev, dtype)
    g = np.random.default_rng(7)
    n = dualrev.randn(200_000, dtype=dt, generator=g)
    u = dualrev.rand(200_000, dtype=dt, generator=g)
    assert n.dtype == dt and u.dtype == dt
    a, b = arr(n), arr(u)
    # Real and imaginary parts independent, N(0, 1/2) and U[0, 1) as PyTorch; the bounds
    # are more than 8 standard errors of each estimate.
    for part in (a.real, a.imag):
        assert abs(part.mean()) < 0.013 and abs(part.var() - 0.5) < 0.013
    assert abs(np.corrcoef(a.real, a.imag)[0, 1]) < 0.02
    for part in (b.real, b.imag):
        assert part.min() >= 0 and part.max() < 1 and abs(part.mean() - 0.5) < 0.006
    assert not np.array_equal(b.real, b.imag)


# =============================================================================
# 4. Printing (each string as PyTorch prints it)
# =============================================================================


@pytest.mark.parametrize("data, kwargs, expected", [
    ([1 + 2j, 3 - 1j], dict(requires_grad=True), "tensor([1.+2.j, 3.-1.j], requires_grad=True)"),
    (1 + 2j, dict(dtype="complex128"), "tensor(1.+2.j, dtype=complex128)"),
    (1 + 2j, {}, "tensor(1.+2.j)"),
    ([1.5 + 2j, -3 - 1.25j], {}, "tensor([ 1.5000+2.0000j, -3.0000-1.2500j])"),
    ([[1 + 2j, 3 - 1j], [0j, -1j]], {}, "tensor([[1.+2.j, 3.-1.j],\n        [0.+0.j, -0.-1.j]])"),
    ([1e-5 + 2j, 3e5 - 1j], {}, "tensor([1.0000e-05+2.j, 3.0000e+05-1.j])"),
    ([float("nan") + 1j, complex(1, float("inf"))], {}, "tensor([nan+1.j, 1.+infj])"),
    ([0j, 0j], {}, "tensor([0.+0.j, 0.+0.j])"),
    ([1.123456 + 2.5j], {}, "tensor([1.1235+2.5000j])"),
    ([1 + 1e-9j], {}, "tensor([1.+1.0000e-09j])"),
    ([100 + 2j, 1 - 3000j], {}, "tensor([100.+2.0000e+00j,   1.-3.0000e+03j])"),
    ([0.1 + 0.2j, 123.456 - 7.5j], dict(dtype="complex128"),
     "tensor([1.0000e-01+0.2000j, 1.2346e+02-7.5000j], dtype=complex128)"),
    ([], dict(dtype="complex64"), "tensor([], dtype=complex64)"),
    ([], dict(dtype="int64"), "tensor([], dtype=int64)"),
    ([], dict(dtype="float32"), "tensor([])"),
])
def test_repr_of_complex_tensors(data, kwargs, expected):
    if "dtype" in kwargs:
        kwargs = dict(kwargs, dtype=getattr(dualrev, kwargs["dtype"]))
    assert repr(dualrev.tensor(data, **kwargs)) == expected


def test_repr_of_complex_tensors_wraps_and_summarises_as_pytorch():
    assert repr(dualrev.tensor([1.5 + 2j] * 7)) == (
        "tensor([1.5000+2.j, 1.5000+2.j, 1.5000+2.j, 1.5000+2.j, 1.5000+2.j, 1.5000+2.j,\n"
        "        1.5000+2.j])")
    big = dualrev.tensor((np.arange(2000) * (1 - 0.5j)).astype(np.complex64))
    assert repr(big) == (
        "tensor([0.0000e+00+0.0000e+00j, 1.0000e+00-5.0000e-01j, 2.0000e+00-1.0000e+00j,\n"
        "         ..., 1.9970e+03-9.9850e+02j, 1.9980e+03-9.9900e+02j,\n"
        "        1.9990e+03-9.9950e+02j])")
    z = c128([1 + 2j], requires_grad=True)
    assert repr(z * 2) == "tensor([2.+4.j], dtype=complex128, grad_fn=<MultiplyBackward>)"
    try:
        dualrev.set_default_dtype(dualrev.float64)
        assert repr(dualrev.tensor(1 + 2j)) == "tensor(1.+2.j)"
        assert repr(dualrev.tensor(1 + 2j, dtype=dualrev.complex64)) == \
            "tensor(1.+2.j, dtype=complex64)"
    finally:
        dualrev.set_default_dtype(dualrev.float32)


# =============================================================================
# 5. Optimizers
# =============================================================================

P0 = np.array([[1 + 2j, -0.5 + 0.25j], [0.3 - 1.2j, 2 - 0.1j]])
WEIGHTS = np.array([[1.0, 2.0], [3.0, 0.5]])


def _loss(z):
    return (z.abs() ** 2 * dualrev.tensor(WEIGHTS, dtype=dualrev.float64)).sum() + \
        (z * (0.3 - 0.7j)).real.sum()


def _grad(p):
    """PyTorch's gradient of _loss: 2 w z + conj(0.3 - 0.7j)."""
    return 2 * WEIGHTS * p + (0.3 + 0.7j)


def _run(opt_cls, steps, param=None, **kw):
    p = param if param is not None else c128(P0, requires_grad=True)
    opt = opt_cls([p], **kw)
    for _ in range(steps):
        opt.zero_grad()
        _loss(p).backward()
        opt.step()
    return p, opt


def test_sgd_on_a_complex_parameter():
    p, _ = _run(dualrev.optim.SGD, 1, lr=0.1)
    close(arr(p), P0 - 0.1 * _grad(P0))


def test_adam_updates_the_real_and_imaginary_parts_separately():
    p, opt = _run(dualrev.optim.Adam, 1, lr=0.1)
    g = _grad(P0)
    # First step: m/(1-b1) = g and v/(1-b2) = g^2 per part, so each part moves by
    # lr * g / (|g| + eps), with |.| of that part (not the modulus).
    step = lambda gp: 0.1 * gp / (np.abs(gp) + 1e-8)   # noqa: E731
    close(arr(p), P0 - (step(g.real) + 1j * step(g.imag)))
    v = opt.state[p]["exp_avg_sq"]
    assert v.dtype == np.complex128 and v.shape == (2, 2)
    close(v, 0.001 * (g.real ** 2 + 1j * g.imag ** 2))


@pytest.mark.parametrize("name, kwargs, expected", [
    # Five steps of PyTorch 2.13 on the same problem.
    ("Adam", dict(lr=0.1),
     [[0.5064140585116397 + 1.5024039254037154j, -0.039128256949817974 - 0.21087174305018197j],
      [-0.14019386128245742 - 0.7070268877371957j, 1.5024701125987636 - 0.5806185006528658j]]),
    ("Adam", dict(lr=0.1, weight_decay=0.1, amsgrad=True),
     [[0.5064748871176894 + 1.5024255994535891j, -0.03876906450361765 - 0.21001292273924865j],
      [-0.13988382694369123 - 0.7070077964021242j, 1.5025077330766345 - 0.5758664203574645j]]),
    ("AdamW", dict(lr=0.1, weight_decay=0.1),
     [[0.46814142972097056 + 1.4148534399762847j, -0.027716143100092988 - 0.21224618841240742j],
      [-0.14269219521296556 - 0.6592874103821965j, 1.414938466864325 - 0.5667142939797181j]]),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
     [[-0.623482858328456 - 1.3146108357539315j, -0.010444028939567515 - 0.2325623143309977j],
      [-0.026770639759736675 - 0.18440298816457418j, -0.6437477222714754 - 0.7239244624560681j]]),
])
def test_optimizers_on_a_complex_parameter_match_pytorch(name, kwargs, expected):
    p, _ = _run(getattr(dualrev.optim, name), 5, **kwargs)
    close(arr(p), np.array(expected), rtol=1e-13, atol=1e-14)
    # A parameter whose memory is not contiguous is updated in place all the same.
    q = dualrev.as_tensor(np.asfortranarray(P0)).requires_grad_()
    assert not q.detach().numpy().flags.c_contiguous
    q, _ = _run(getattr(dualrev.optim, name), 5, param=q, **kwargs)
    close(arr(q), np.array(expected), rtol=1e-13, atol=1e-14)


# =============================================================================
# 6. gradcheck
# =============================================================================


def test_gradcheck_refuses_complex_inputs_and_outputs():
    z = c128([1 + 2j], requires_grad=True)
    with pytest.raises(NotImplementedError, match="input 0 is complex .complex128.; only real"):
        autograd.gradcheck(lambda z: (z.abs() ** 2).sum(), (z,))
    x = dualrev.tensor([1.0], dtype=dualrev.float64, requires_grad=True)
    with pytest.raises(NotImplementedError, match="output 0 is complex .complex128.; only real"):
        autograd.gradcheck(lambda x: x * (1 + 1j), (x,))
    assert autograd.gradcheck(lambda x: ((x * (1 + 1j)).abs() ** 2).sum(), (x,))
