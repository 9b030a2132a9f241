"""Table cases: numpy.fft's transforms (every kind of n, axis, s, axes and norm), the
shifts.  Complex results are mapped to real ones (``_r``) for the Jacobians."""
from table import Arg, case


def _c(m, a, b):
    return a + 1j * b


def _r(m, z):
    return m.real(z) * 0.75 - m.imag(z) * 1.25


# ---------------------------------------------------------------- one axis
case("fft.fft", "real_default", lambda m, x: _r(m, m.fft.fft(x)), Arg(2, 5))
case("fft.fft", "complex_n_pad_axis0_ortho", lambda m, a, b: _r(m, m.fft.fft(
     _c(m, a, b), 5, axis=0, norm="ortho")), Arg(3, 2), Arg(3, 2))
case("fft.fft", "n_crop_forward", lambda m, x: _r(m, m.fft.fft(x, 3, norm="forward")), Arg(5))
case("fft.ifft", "complex_n_pad", lambda m, a, b: _r(m, m.fft.ifft(_c(m, a, b), 6)),
     Arg(2, 4), Arg(2, 4))
case("fft.ifft", "n_crop_axis0_ortho", lambda m, x: _r(m, m.fft.ifft(x, 2, axis=0,
                                                                       norm="ortho")), Arg(3, 2))
case("fft.rfft", "even", lambda m, x: _r(m, m.fft.rfft(x)), Arg(2, 6))
case("fft.rfft", "odd_n_crop_forward", lambda m, x: _r(m, m.fft.rfft(x, 5, norm="forward")),
     Arg(7))
case("fft.rfft", "n_pad_axis0_ortho", lambda m, x: _r(m, m.fft.rfft(x, 6, axis=0,
                                                                      norm="ortho")), Arg(4, 2))
case("fft.irfft", "complex_default", lambda m, a, b: m.fft.irfft(_c(m, a, b)), Arg(2, 4),
     Arg(2, 4))
case("fft.irfft", "complex_odd_n_ortho", lambda m, a, b: m.fft.irfft(_c(m, a, b), 5,
                                                                       norm="ortho"),
     Arg(4), Arg(4))
case("fft.irfft", "complex_n_pad_axis0_forward", lambda m, a, b: m.fft.irfft(
     _c(m, a, b), 9, axis=0, norm="forward"), Arg(3, 2), Arg(3, 2))
case("fft.irfft", "complex_n_crop", lambda m, a, b: m.fft.irfft(_c(m, a, b), 3),
     Arg(5), Arg(5))
case("fft.hfft", "complex_default", lambda m, a, b: m.fft.hfft(_c(m, a, b)), Arg(4), Arg(4))
case("fft.hfft", "n_odd_ortho", lambda m, x: m.fft.hfft(x, 5, norm="ortho"), Arg(2, 3))
case("fft.ihfft", "n_pad", lambda m, x: _r(m, m.fft.ihfft(x, 7)), Arg(2, 5))

# ---------------------------------------------------------------- 2-d and n-d
case("fft.fft2", "complex", lambda m, a, b: _r(m, m.fft.fft2(_c(m, a, b))), Arg(2, 3, 4),
     Arg(2, 3, 4))
case("fft.ifft2", "s_axes_ortho", lambda m, x: _r(m, m.fft.ifft2(x, (4, 2), (0, 2),
                                                                  norm="ortho")), Arg(3, 2, 3))
case("fft.fftn", "all_axes", lambda m, x: _r(m, m.fft.fftn(x)), Arg(2, 3, 2))
case("fft.fftn", "s_axes_forward", lambda m, a, b: _r(m, m.fft.fftn(
     _c(m, a, b), (3, 5), axes=(-1, 0), norm="forward")), Arg(2, 2, 4), Arg(2, 2, 4))
case("fft.ifftn", "s", lambda m, x: _r(m, m.fft.ifftn(x, (2, 4), axes=(0, 1))), Arg(3, 3))
case("fft.rfft2", "default", lambda m, x: _r(m, m.fft.rfft2(x)), Arg(2, 3, 4))
case("fft.irfft2", "complex_s", lambda m, a, b: m.fft.irfft2(_c(m, a, b), (3, 5)),
     Arg(3, 3), Arg(3, 3))
case("fft.rfftn", "axes_ortho", lambda m, x: _r(m, m.fft.rfftn(x, axes=(0, 2), norm="ortho")),
     Arg(2, 2, 5))
case("fft.irfftn", "complex_default", lambda m, a, b: m.fft.irfftn(_c(m, a, b)),
     Arg(2, 3), Arg(2, 3))

# ---------------------------------------------------------------- shifts
case("fft.fftshift", "all_axes", lambda m, x: m.fft.fftshift(x), Arg(3, 4))
case("fft.ifftshift", "axis1_complex", lambda m, a, b: _r(m, m.fft.ifftshift(_c(m, a, b),
                                                                               axes=1)),
     Arg(2, 5), Arg(2, 5))
