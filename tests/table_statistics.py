"""Table cases: cumulative functions, differences and integrals, the nan* reductions,
statistics, quantiles, covariance, sorting."""
import numpy as np

from helpers import jnp
from table import TABLE, Arg, case


def _c(m, a, b):
    return a + 1j * b


def _r(m, z):
    return m.real(z) * 0.75 - m.imag(z) * 1.25


# Dask gathers with one index array of one dimension at a time; sorting gathers with one
# per axis.
_GATHER = "Dask lacks gathers with several n-d index arrays (NotImplementedError)"


def _nans(m, x):
    """x with NaN where x > 1.2 (computed from x: the case stays in x's library)."""
    return m.where(x > 1.2, m.nan, x)


# ---------------------------------------------------------------- cumulative
case("cumsum", "axis1", lambda m, x: m.cumsum(x, axis=1), Arg(2, 3))
case("cumsum", "axis_none_method", lambda m, x: x.cumsum(), Arg(2, 3))
case("cumsum", "complex", lambda m, a, b: _r(m, m.cumsum(_c(m, a, b) ** 2, axis=0)), Arg(3, 2),
     Arg(3, 2))
case("cumprod", "axis1", lambda m, x: m.cumprod(x, axis=1), Arg(2, 5))
case("cumprod", "zeros_method", lambda m, x: x.cumprod(), np.array([1.5, 0.0, -2.0, 0.0, 0.5]))
case("cumprod", "complex", lambda m, a, b: _r(m, m.cumprod(_c(m, a, b), axis=0)), Arg(3, 2),
     Arg(3, 2))
case("cumulative_sum", "include_initial",
     lambda m, x: m.cumulative_sum(x, axis=0, include_initial=True), Arg(3, 2))
case("cumulative_prod", "include_initial",
     lambda m, x: m.cumulative_prod(x, axis=1, include_initial=True), Arg(2, 3))
case("nancumsum", "nans", lambda m, x: m.nancumsum(_nans(m, x), axis=1), Arg(3, 4))
case("nancumprod", "nans", lambda m, x: m.nancumprod(_nans(m, x)), Arg(3, 4))

# ---------------------------------------------------------------- differences, integrals
case("diff", "n2_axis0", lambda m, x: m.diff(x, n=2, axis=0), Arg(4, 2))
case("diff", "prepend_append", lambda m, x, p: m.diff(x, prepend=p, append=x[:, :1] * 2.0),
     Arg(2, 3), Arg(2, 1))
case("diff", "complex", lambda m, a, b: _r(m, m.diff(_c(m, a, b)) ** 2), Arg(4), Arg(4))
case("ediff1d", "to_begin_end", lambda m, x, b: m.ediff1d(x, to_begin=b, to_end=2.0),
     Arg(2, 3), Arg(2))


def _gradient_edge2(m, f, h):
    """numpy.gradient(f, h, edge_order=2) along the last axis (JAX lacks edge_order)."""
    if m is not jnp:
        return m.gradient(f, h, axis=-1, edge_order=2)
    first = (-1.5 * f[..., :1] + 2 * f[..., 1:2] - 0.5 * f[..., 2:3]) / h
    last = (0.5 * f[..., -3:-2] - 2 * f[..., -2:-1] + 1.5 * f[..., -1:]) / h
    return m.concatenate([first, (f[..., 2:] - f[..., :-2]) / (2 * h), last], axis=-1)


case("gradient", "default_2d", lambda m, f: m.stack(m.gradient(f)), Arg(3, 4))
case("gradient", "coordinates", lambda m, f, x: m.gradient(f, x, axis=1), Arg(2, 4),
     np.array([0.0, 0.4, 1.1, 1.5]))
case("gradient", "edge_order2_spacing", _gradient_edge2, Arg(2, 4), Arg(lo=0.5, hi=2))
case("trapezoid", "coordinates", lambda m, y, x: m.trapezoid(y, x), Arg(2, 4),
     np.array([0.0, 0.4, 1.1, 1.5]))
case("trapezoid", "dx_axis0", lambda m, y: m.trapezoid(y, dx=0.3, axis=0), Arg(3, 2))
case("ptp", "axis0", lambda m, x: m.ptp(x, axis=0), Arg(3, 2))
case("ptp", "ties", lambda m, x: m.ptp(x, axis=1), np.array([[1.0, 3.0, 3.0], [2.0, 0.5, 0.5]]),
     fd=False)

# ---------------------------------------------------------------- nan* reductions
for _name in ("nansum", "nanprod", "nanmax", "nanmin", "nanmean", "nanvar", "nanmedian"):
    case(_name, "nans_axis1", lambda m, x, _n=_name: getattr(m, _n)(_nans(m, x), axis=1),
         Arg(3, 4))
# The last two blocks are never NaN and never all equal: the variance stays positive.
case("nanstd", "nans_axis1", lambda m, x: m.nanstd(
    m.concatenate([_nans(m, x), x - 3.0, x * 0.0 - 5.0], axis=1), axis=1), Arg(2, 3))
case("nanvar", "ddof1_keepdims", lambda m, x: m.nanvar(_nans(m, x), axis=0, ddof=1,
                                                        keepdims=True), Arg(5, 2))
case("nanquantile", "nans_q", lambda m, x, q: m.nanquantile(_nans(m, x), q, axis=1), Arg(3, 5),
     Arg(2, lo=0.1, hi=0.9))
case("nanpercentile", "nans", lambda m, x: m.nanpercentile(_nans(m, x), 30.0, axis=0),
     Arg(5, 2))

# ---------------------------------------------------------------- statistics
case("average", "weights_axis1_returned",
     lambda m, x, w: m.stack(m.average(x, axis=1, weights=w, returned=True)), Arg(2, 3),
     Arg(3, lo=0.5, hi=2))
case("average", "plain_keepdims", lambda m, x: m.average(x, axis=0, keepdims=True), Arg(3, 2))
case("average", "complex", lambda m, a, b: _r(m, m.average(_c(m, a, b), axis=0)), Arg(3, 2),
     Arg(3, 2))
case("var", "axis0_ddof1", lambda m, x: m.var(x, axis=0, ddof=1), Arg(3, 2))
case("var", "method_keepdims", lambda m, x: x.var(axis=1, keepdims=True), Arg(2, 3))
case("var", "complex", lambda m, a, b: m.var(_c(m, a, b), axis=1), Arg(2, 3), Arg(2, 3))
case("var", "where", lambda m, x: m.var(x, axis=1, where=np.array([True, False, True, True])),
     Arg(2, 4), strict="a NumPy where= mask", dask="a NumPy where= mask")
case("std", "default", lambda m, x: m.std(m.stack([x, x + 3.0])), Arg(2, 3))
case("std", "method_ddof", lambda m, x: m.stack([x, x + 3.0]).std(axis=0, ddof=1), Arg(3, 2))
case("median", "axis1_even", lambda m, x: m.median(x, axis=1), Arg(2, 4))
case("median", "ties", lambda m, x: m.median(x, axis=0),
     np.array([[1.0, 2.0], [1.0, 0.5], [1.0, 2.0]]), fd=False)
for _meth in ("linear", "lower", "higher", "midpoint", "nearest"):
    case("quantile", f"{_meth}_axis1", lambda m, x, _mt=_meth: m.quantile(
        x, 0.3, axis=1, method=_mt), Arg(2, 5))
case("quantile", "traced_q_keepdims",
     lambda m, x, q: m.quantile(x, q, axis=(0, 1), keepdims=True), Arg(2, 3),
     Arg(2, lo=0.05, hi=0.95))
case("percentile", "axis_none", lambda m, x: m.percentile(x, 40.0), Arg(2, 3))
case("cov", "rowvar", lambda m, x: m.cov(x) if m is jnp else m.cov(x, dtype=x.dtype), Arg(2, 4))
case("cov", "complex_y",
     lambda m, a, b, y: _r(m, m.cov(_c(m, a, b), y) if m is jnp
                           else m.cov(_c(m, a, b), y, dtype=_c(m, a, b).dtype)),
     Arg(5), Arg(5), Arg(5))
# Each row gets a value 3 away from one of its own: no row has variance 0 (where the
# derivative of the standard deviation is infinite) at any drawn point.
case("corrcoef", "rows", lambda m, x: (lambda y: m.corrcoef(y) if m is jnp else m.corrcoef(
    y, dtype=y.dtype))(m.concatenate([x, x[:, :1] + 3.0], axis=1)), Arg(3, 4))

# ---------------------------------------------------------------- sorting
case("sort", "axis0", lambda m, x: m.sort(x, axis=0), Arg(3, 2))
case("sort", "axis_none_ties", lambda m, x: m.sort(x, axis=None),
     np.array([[2.0, 1.0, 2.0], [0.5, 1.0, 2.0]]), fd=False)
case("sort", "complex", lambda m, a, b: _r(m, m.sort(_c(m, a, b))),
     np.array([1.0, -1.0, 1.0, 0.5]), Arg(4), fd=False,
     strict="the standard orders real values only (NumPy orders complex ones "
            "lexicographically)")
case("partition", "kth2",
     lambda m, x: m.concatenate([m.partition(x, 2)[..., 2:3],
                                 m.sum(m.partition(x, 2)[..., :2] ** 2, axis=-1, keepdims=True)],
                                axis=-1), Arg(2, 5))
case("sort_complex", "complex", lambda m, a, b: _r(m, m.sort_complex(_c(m, a, b))),
     np.array([[1.0, -1.0, 1.0], [0.5, 0.5, 2.0]]), Arg(2, 3), fd=False,
     strict="the standard orders real values only (NumPy orders complex ones "
            "lexicographically)")

for _name in ("sort", "partition", "sort_complex", "median", "quantile", "percentile",
              "nanmedian", "nanquantile", "nanpercentile"):
    for _case in TABLE[_name]:
        _case.dask = _case.dask or _GATHER
