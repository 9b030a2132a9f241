"""numpy.fft's functions beyond the table: bad input as NumPy raises it, untraced calls
give NumPy's results, NumPy's own functions on traced values, the frequencies, the
single-precision dtypes, and the adjoint of rfft/irfft at the benchmark's size."""
import numpy as np
import pytest

import dualrev
import dualrev.numpy as dnp
from helpers import jax, jnp

X = np.linspace(-1.0, 1.3, 24).reshape(4, 6) ** 2


def _traced(fn):
    return dualrev.jvp(fn, (X,), (X,))


@pytest.mark.parametrize("fn, error, match", [
    (lambda x: dnp.fft.fft(x, 0), ValueError, "Invalid number of FFT data points"),
    (lambda x: dnp.fft.rfft(x, -2), ValueError, "Invalid number of FFT data points"),
    (lambda x: dnp.fft.irfft(x[:, :1]), ValueError, "Invalid number of FFT data points"),
    (lambda x: dnp.fft.ifft(x, norm="bad"), ValueError, "Invalid norm value"),
    (lambda x: dnp.fft.hfft(x, norm="unitary"), ValueError, "Invalid norm value"),
    (lambda x: dnp.fft.fft(x, axis=2), IndexError, "axis 2"),
    (lambda x: dnp.fft.fftn(x, s=(2, 3), axes=(0,)), ValueError, "different lengths"),
    (lambda x: dnp.fft.rfft2(x, axes=(0, 5)), IndexError, "5"),
    (lambda x: dnp.fft.rfft(x + 1j), TypeError, "not supported for the input types"),
], ids=["n_zero", "n_negative", "irfft_one_bin", "norm", "hfft_norm", "axis", "s_axes",
        "axes", "rfft_complex"])
def test_bad_input_raises_as_numpy(fn, error, match):
    with pytest.raises(error, match=match):
        _traced(fn)
    with pytest.raises(error):      # NumPy's own error, for the same call untraced
        fn(X)


@pytest.mark.parametrize("name, kwargs", [
    ("fft", dict(n=7, norm="ortho")), ("ifft", dict(axis=0)), ("rfft", dict(n=5)),
    ("irfft", dict(n=9, norm="forward")), ("hfft", {}), ("ihfft", dict(n=4)),
    ("fft2", {}), ("ifftn", dict(s=(3, 8), axes=(0, 1))), ("rfftn", {}), ("irfft2", {}),
    ("fftshift", {}), ("ifftshift", dict(axes=1)),
])
def test_untraced_calls_and_float32_dtypes_are_numpys(name, kwargs):
    real_only = name in ("rfft", "ihfft", "rfftn")
    for x in (X, X.astype(np.float32)) + (() if real_only else (X + 0.5j,)):
        want = getattr(np.fft, name)(x, **kwargs)
        got = getattr(dnp.fft, name)(x, **kwargs)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
        traced = dualrev.jvp(lambda v: getattr(dnp.fft, name)(v, **kwargs), (x,), (x,))
        assert traced[0].dtype == want.dtype and traced[1].dtype == want.dtype
        np.testing.assert_allclose(traced[0], want, rtol=1e-5, atol=1e-5)


def test_frequencies_are_numpys_constants():
    np.testing.assert_array_equal(dnp.fft.fftfreq(6, 0.5), np.fft.fftfreq(6, 0.5))
    np.testing.assert_array_equal(dnp.fft.rfftfreq(7), np.fft.rfftfreq(7))


def test_numpy_fft_functions_on_traced_values_reach_dualrev():
    def f(m, x):
        y = m.fft.irfft(m.fft.rfft(x) * np.linspace(0.0, 1.0, 4), 6)
        return m.sum(y ** 2) + m.sum(m.abs(m.fft.fftshift(m.fft.fft2(x))) ** 2)
    np.testing.assert_allclose(dualrev.grad(lambda x: f(np, x))(X),
                               jax.grad(lambda x: f(jnp, x))(X), rtol=1e-12)


@pytest.mark.parametrize("n", [2 ** 16, 2 ** 16 - 1])
def test_rfft_irfft_adjoint_identity_at_scale(n):
    """<J v, w> = <v, J^T w> for irfft(rfft(x) * h, n): both rules are one transform."""
    rng = np.random.default_rng(n)
    x, v, w = rng.standard_normal((3, n))
    h = np.exp(-np.linspace(0.0, 5.0, n // 2 + 1))
    f = lambda x: dnp.fft.irfft(dnp.fft.rfft(x) * h, n)      # noqa: E731
    t = dualrev.jvp(f, (x,), (v,))[1]
    ct = dualrev.vjp(f, x)[1](w)[0]
    np.testing.assert_allclose(np.vdot(t, w), np.vdot(v, ct), rtol=1e-10)
