"""PyTorch-named functions of the imperative layer (``dualrev.<name>``, Tensor methods,
``dualrev.linalg``, ``dualrev.fft``, ``dualrev.special``) against PyTorch: values, and the
gradients ``backward()`` accumulates for a weighted sum of the results.

Each case is ``fn(m, *args)`` run with ``m`` = dualrev and ``m`` = torch on the same
float64 inputs; arguments that are integer or boolean arrays are constants, the others
require grad.
"""
import numpy as np
import pytest

import dualrev

torch = pytest.importorskip("torch")

R = np.random.default_rng(0)


def rnd(*shape, lo=-2.0, hi=2.0):
    return R.uniform(lo, hi, shape)


def pos(*shape):
    return rnd(*shape, lo=0.5, hi=2.0)


def unit(*shape):
    return rnd(*shape, lo=-0.9, hi=0.9)


def spd(n, batch=()):
    a = rnd(*batch, n, n)
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def well(n, batch=()):
    return rnd(*batch, n, n) + 3 * np.eye(n)


def cplx(*shape):
    return rnd(*shape) + 1j * rnd(*shape)


IDX = np.array([[0, 2, 1], [1, 0, 0]])          # gather/scatter along dim 1 of (2, 4)
PERM = np.array([[2, 0, 3], [3, 1, 0]])         # no repeated index per row
MASK = np.array([[True, False, True, False], [False, False, True, True]])


CASES = [
    # statistics
    ("var", lambda m, x: m.var(x, 1), rnd(3, 4)),
    ("var_correction", lambda m, x: x.var(dim=(0, 1), correction=0, keepdim=True), rnd(3, 4)),
    ("std_unbiased", lambda m, x: m.std(x, 0, False), rnd(3, 4)),
    ("std_all", lambda m, x: x.std(), rnd(3, 4)),
    ("std_mean", lambda m, x: m.std_mean(x, 1), rnd(3, 4)),
    ("var_mean", lambda m, x: m.var_mean(x, 0, correction=2), rnd(5, 2)),
    ("logsumexp", lambda m, x: m.logsumexp(x, 1, keepdim=True), rnd(3, 4)),
    ("cumsum", lambda m, x: m.cumsum(x, 1), rnd(3, 4)),
    ("cumprod", lambda m, x: x.cumprod(0), rnd(3, 4)),
    ("cumprod_zero", lambda m, x: x.cumprod(0), np.array([1.5, 0.0, 2.0, -1.0])),
    ("logcumsumexp", lambda m, x: m.logcumsumexp(x, 1), rnd(3, 4)),
    ("cummax", lambda m, x: m.cummax(x, 1), rnd(3, 5)),
    ("cummin", lambda m, x: x.cummin(0), rnd(4, 3)),
    ("median_all", lambda m, x: m.median(x), rnd(3, 4)),
    ("median_dim", lambda m, x: x.median(1, keepdim=True), rnd(3, 4)),
    ("quantile", lambda m, x: m.quantile(x, 0.3, dim=1), rnd(3, 5)),
    ("quantile_many", lambda m, x: m.quantile(x, m.tensor([0.2, 0.9], dtype=x.dtype)),
     rnd(7)),
    ("nanmean", lambda m, x: m.nanmean(x, 1), np.array([[1.0, np.nan, 2.0], [0.5, 3.0, 4.0]])),
    ("nansum", lambda m, x: x.nansum(), np.array([[1.0, np.nan, 2.0], [0.5, 3.0, 4.0]])),
    ("amax", lambda m, x: m.amax(x, 1), rnd(3, 4)),
    ("aminmax", lambda m, x: tuple(m.aminmax(x, dim=0)), rnd(3, 4)),
    # sorting
    ("sort", lambda m, x: tuple(m.sort(x, 1)), rnd(3, 4)),
    ("sort_descending", lambda m, x: tuple(x.sort(0, descending=True)), rnd(3, 4)),
    ("argsort", lambda m, x: (m.argsort(x, 1, descending=True), x * 1), rnd(3, 4)),
    ("topk", lambda m, x: tuple(m.topk(x, 2, 1)), rnd(3, 5)),
    ("topk_smallest", lambda m, x: tuple(x.topk(2, 0, largest=False)), rnd(3, 5)),
    # indexing
    ("gather", lambda m, x, i: m.gather(x, 1, i), rnd(2, 4), IDX),
    ("scatter", lambda m, x, i, s: m.scatter(x, 1, i, s), rnd(2, 4), PERM, rnd(2, 3)),
    ("scatter_value", lambda m, x, i: x.scatter(1, i, 0.5), rnd(2, 4), PERM),
    ("scatter_add", lambda m, x, i, s: m.scatter_add(x, 1, i, s), rnd(2, 4), IDX, rnd(2, 3)),
    ("index_select", lambda m, x, i: m.index_select(x, 1, i), rnd(3, 4), np.array([3, 0, 3])),
    ("masked_fill", lambda m, x, k: m.masked_fill(x, k, 0.25), rnd(2, 4), MASK),
    ("masked_fill_tensor", lambda m, x, k, v: x.masked_fill(k, v), rnd(2, 4), MASK,
     np.array(1.5)),
    ("take", lambda m, x, i: m.take(x, i), rnd(3, 4), np.array([[0, 11], [5, 5]])),
    ("tril", lambda m, x: m.tril(x, -1), rnd(3, 4)),
    ("triu", lambda m, x: x.triu(1), rnd(2, 3, 4)),
    ("diagonal", lambda m, x: m.diagonal(x, 1, 0, 2), rnd(3, 2, 4)),
    ("diag", lambda m, x: m.diag(x, 1), rnd(3)),
    ("diag_of_matrix", lambda m, x: x.diag(-1), rnd(3, 4)),
    ("trace", lambda m, x: m.trace(x), rnd(3, 4)),
    ("flip", lambda m, x: m.flip(x, (0, 2)), rnd(2, 3, 4)),
    ("fliplr", lambda m, x: m.fliplr(x) * m.flipud(x), rnd(3, 3)),
    ("roll", lambda m, x: m.roll(x, (1, -2), (0, 1)), rnd(3, 4)),
    ("roll_flat", lambda m, x: x.roll(3), rnd(3, 4)),
    ("repeat_interleave", lambda m, x: m.repeat_interleave(x, 2, 1), rnd(2, 3)),
    ("repeat_interleave_counts", lambda m, x, r: x.repeat_interleave(r, 0), rnd(3, 2),
     np.array([2, 0, 1])),
    ("repeat_interleave_flat", lambda m, x: x.repeat_interleave(2), rnd(2, 2)),
    # products
    ("einsum", lambda m, x, y: m.einsum("ij,jk->ik", x, y), rnd(2, 3), rnd(3, 2)),
    ("outer", lambda m, x, y: m.outer(x, y), rnd(3), rnd(2)),
    ("kron", lambda m, x, y: m.kron(x, y), rnd(2, 3), rnd(2, 2)),
    ("kron_mixed", lambda m, x, y: m.kron(x, y), rnd(3), rnd(2, 2)),
    ("cross", lambda m, x, y: m.cross(x, y, dim=0), rnd(3, 2), rnd(3, 2)),
    ("linalg.cross", lambda m, x, y: m.linalg.cross(x, y), rnd(2, 3), rnd(1, 3)),
    ("tensordot", lambda m, x, y: m.tensordot(x, y, dims=([1, 0], [0, 2])), rnd(2, 3, 4),
     rnd(3, 2, 2)),
    ("tensordot_int", lambda m, x, y: m.tensordot(x, y, 1), rnd(2, 3), rnd(3, 4)),
    ("inner", lambda m, x, y: m.inner(x, y), rnd(2, 3), rnd(4, 3)),
    ("dot", lambda m, x, y: m.dot(x, y), rnd(3), rnd(3)),
    ("vdot_complex", lambda m, x, y: m.vdot(x, y), cplx(3), cplx(3)),
    ("cdist", lambda m, x, y: m.cdist(x, y), rnd(3, 2), rnd(4, 2)),
    ("cdist_p1", lambda m, x, y: m.cdist(x, y, p=1.0), rnd(2, 3, 2), rnd(2, 4, 2)),
    ("cdist_p3_same_point", lambda m, x, y: m.cdist(x, y, p=3.0),
     np.array([[1.0, 2.0], [0.5, 0.0]]), np.array([[1.0, 2.0]])),
    # elementwise
    ("logaddexp", lambda m, x, y: m.logaddexp(x, y), rnd(3), rnd(3)),
    ("hypot", lambda m, x, y: m.hypot(x, y), rnd(3), rnd(3)),
    ("atan2", lambda m, x, y: m.atan2(x, y) + m.arctan2(y, x), rnd(3), rnd(3)),
    ("asin", lambda m, x: m.asin(x) + m.acos(x) + m.atan(x) + x.arcsin(), unit(4)),
    ("asinh", lambda m, x: m.asinh(x) + m.atanh(x), unit(4)),
    ("acosh", lambda m, x: m.acosh(x + 1.5), pos(4)),
    ("sinh", lambda m, x: m.sinh(x) + m.cosh(x), rnd(4)),
    ("log1p", lambda m, x: m.log1p(x) + m.expm1(x) + m.log2(x) + m.log10(x) + m.exp2(x),
     pos(4)),
    ("sinc", lambda m, x: m.sinc(x), rnd(4)),
    ("erf", lambda m, x: m.erf(x) + m.erfc(x) + x.erf(), rnd(4)),
    ("erfinv", lambda m, x: m.erfinv(x), unit(4)),
    ("lgamma", lambda m, x: m.lgamma(x) + m.digamma(x) + m.polygamma(2, x), pos(4)),
    ("i0", lambda m, x: m.i0(x), rnd(4)),
    ("reciprocal", lambda m, x: m.reciprocal(x) + m.rsqrt(x), pos(4)),
    ("rounding", lambda m, x: m.floor(x) + m.ceil(x) + m.trunc(x) + m.round(x) + m.sign(x)
     + m.frac(x) + m.fix(x), rnd(6)),
    ("round_decimals", lambda m, x: m.round(x, decimals=1) + x, rnd(4)),
    ("lerp", lambda m, x, y, w: m.lerp(x, y, w), rnd(3), rnd(3), rnd(3)),
    ("addcmul", lambda m, x, y, z: m.addcmul(x, y, z, value=0.5)
     + m.addcdiv(x, y, z + 3, value=2), rnd(3), rnd(3), pos(3)),
    # shapes
    ("flatten", lambda m, x: m.flatten(x, 1), rnd(2, 3, 2)),
    ("unflatten", lambda m, x: x.unflatten(1, (2, -1)), rnd(2, 6)),
    ("movedim", lambda m, x: m.movedim(x, (0, 1), (2, 0)) * 1, rnd(2, 3, 4)),
    ("moveaxis", lambda m, x: m.moveaxis(x, 0, -1) * 1, rnd(2, 3)),
    ("narrow", lambda m, x: m.narrow(x, 1, 1, 2), rnd(3, 4)),
    ("chunk", lambda m, x: m.chunk(x, 3, 1), rnd(2, 5)),
    ("split", lambda m, x: m.split(x, 2, 0), rnd(5, 2)),
    ("split_sizes", lambda m, x: x.split([1, 3], 1), rnd(2, 4)),
    ("tensor_split", lambda m, x: m.tensor_split(x, 3, 1), rnd(2, 7)),
    ("tensor_split_indices", lambda m, x: x.tensor_split([1, 4], 0), rnd(5, 2)),
    ("unbind", lambda m, x: m.unbind(x, 1), rnd(2, 3)),
    ("expand", lambda m, x: x.expand(2, -1, 3) * 1, rnd(4, 1)),
    ("expand_as", lambda m, x, y: x.expand_as(y) * y, rnd(1, 3), rnd(2, 3)),
    ("repeat", lambda m, x: x.repeat(2, 1, 3), rnd(2, 3)),
    ("tile", lambda m, x: m.tile(x, (2,)), rnd(2, 3)),
    ("broadcast_to", lambda m, x: m.broadcast_to(x, (2, 3)) * 1, rnd(3)),
    ("broadcast_tensors", lambda m, x, y: tuple(v * 1 for v in m.broadcast_tensors(x, y)),
     rnd(3, 1), rnd(2)),
    ("meshgrid", lambda m, x, y: tuple(v * 1 for v in m.meshgrid(x, y, indexing="ij")),
     rnd(3), rnd(2)),
    ("meshgrid_xy", lambda m, x, y, z: tuple(v * 1 for v in m.meshgrid(x, y, z,
                                                                          indexing="xy")),
     rnd(3), rnd(2), rnd(2)),
    ("atleast", lambda m, x, y: (m.atleast_1d(x), m.atleast_2d(y), m.atleast_3d(y),
                                 m.atleast_3d(x)), rnd(), rnd(3)),
    ("block_diag", lambda m, x, y, z: m.block_diag(x, y, z), rnd(2, 3), rnd(1), rnd(2, 2)),
    ("cartesian_prod", lambda m, x, y: m.cartesian_prod(x, y), rnd(3), rnd(2)),
    # torch.linalg
    ("linalg.inv", lambda m, a: m.linalg.inv(a), well(3, (2,))),
    ("linalg.solve", lambda m, a, b: m.linalg.solve(a, b), well(3), rnd(3, 2)),
    ("linalg.solve_vector", lambda m, a, b: m.linalg.solve(a, b), well(3, (2,)), rnd(2, 3)),
    ("linalg.solve_right", lambda m, a, b: m.linalg.solve(a, b, left=False), well(3),
     rnd(2, 3)),
    ("linalg.det", lambda m, a: m.linalg.det(a), well(3, (2,))),
    ("linalg.slogdet", lambda m, a: tuple(m.linalg.slogdet(a)), rnd(3, 3)),
    ("linalg.cholesky", lambda m, a: m.linalg.cholesky(a), spd(3)),
    ("linalg.cholesky_upper", lambda m, a: m.linalg.cholesky(a, upper=True), spd(3, (2,))),
    ("linalg.eigh", lambda m, a: (m.linalg.eigh(a)[0], m.linalg.eigh(a)[1].abs()), spd(3)),
    ("linalg.eigh_upper", lambda m, a: m.linalg.eigvalsh(a, UPLO="U"), rnd(3, 3)),
    ("linalg.eig", lambda m, a: m.linalg.eigvals(a),
     np.diag([1.0, 2.0, 4.0]) + 0.1 * rnd(3, 3)),
    ("linalg.svd", lambda m, a: (m.linalg.svd(a, full_matrices=False)[1],
                                 (m.linalg.svd(a, full_matrices=False)[0]
                                  @ m.linalg.svd(a, full_matrices=False)[2])), rnd(4, 3)),
    ("linalg.svdvals", lambda m, a: m.linalg.svdvals(a), rnd(2, 3, 4)),
    ("linalg.qr", lambda m, a: tuple(m.linalg.qr(a)), rnd(4, 3)),
    ("linalg.qr_complete", lambda m, a: tuple(m.linalg.qr(a, mode="complete")), rnd(3, 2)),
    ("linalg.pinv", lambda m, a: m.linalg.pinv(a), rnd(4, 3)),
    ("linalg.pinv_atol", lambda m, a: m.linalg.pinv(a, atol=0.1), rnd(3, 4)),
    ("linalg.lstsq", lambda m, a, b: m.linalg.lstsq(a, b).solution, rnd(5, 3), rnd(5, 2)),
    ("linalg.matrix_power", lambda m, a: m.linalg.matrix_power(a, 3), rnd(3, 3)),
    ("linalg.matrix_power_negative", lambda m, a: m.linalg.matrix_power(a, -2), well(3)),
    ("linalg.multi_dot", lambda m, x, a, y: m.linalg.multi_dot([x, a, a, y]), rnd(3),
     rnd(3, 3), rnd(3)),
    ("linalg.vecdot", lambda m, x, y: m.linalg.vecdot(x, y), cplx(2, 3), cplx(2, 3)),
    ("linalg.vector_norm", lambda m, x: m.linalg.vector_norm(x), rnd(3, 4)),
    ("linalg.vector_norm_ord", lambda m, x: (m.linalg.vector_norm(x, 3, dim=1),
                                             m.linalg.vector_norm(x, float("inf"), dim=0),
                                             m.linalg.vector_norm(x, 1, dim=(0, 1),
                                                                  keepdim=True)), rnd(3, 4)),
    ("linalg.vector_norm_zero", lambda m, x: m.linalg.vector_norm(x, dim=1),
     np.array([[0.0, 0.0], [3.0, 4.0]])),
    ("linalg.vector_norm_complex", lambda m, x: m.linalg.vector_norm(x), cplx(3)),
    ("linalg.matrix_norm", lambda m, a: tuple(m.linalg.matrix_norm(a, o) for o in (
        "fro", "nuc", 2, -2, 1, -1, float("inf"), float("-inf"))), rnd(2, 3, 3)),
    ("linalg.norm", lambda m, a: (m.linalg.norm(a), m.linalg.norm(a, 1), m.linalg.norm(
        a, dim=1), m.linalg.norm(a, "fro", dim=(0, 1), keepdim=True)), rnd(3, 4)),
    ("linalg.cond", lambda m, a: (m.linalg.cond(a), m.linalg.cond(a, "nuc")), well(3)),
    ("linalg.matrix_rank", lambda m, a: (m.linalg.matrix_rank(a), a * 1),
     np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 0.5])),
    # torch.fft
    ("fft.fft", lambda m, x: m.fft.fft(x, n=6, dim=0), rnd(4, 3)),
    ("fft.ifft_complex", lambda m, x: m.fft.ifft(x, norm="ortho"), cplx(5)),
    ("fft.rfft", lambda m, x: m.fft.rfft(x), rnd(2, 6)),
    ("fft.irfft", lambda m, x: m.fft.irfft(x, n=6), cplx(4)),
    ("fft.fft2", lambda m, x: m.fft.fft2(x, norm="forward"), rnd(2, 3, 4)),
    ("fft.ifft2", lambda m, x: m.fft.ifft2(x, s=(2, 4)), cplx(3, 3)),
    ("fft.rfft2", lambda m, x: m.fft.rfft2(x), rnd(4, 4)),
    ("fft.irfft2", lambda m, x: m.fft.irfft2(x, s=(3, 4)), cplx(3, 3)),
    ("fft.fftn", lambda m, x: m.fft.fftn(x, dim=(0, 2)), rnd(2, 3, 2)),
    ("fft.ifftn", lambda m, x: m.fft.ifftn(x), cplx(2, 3)),
    ("fft.rfftn", lambda m, x: m.fft.rfftn(x), rnd(3, 4)),
    ("fft.irfftn", lambda m, x: m.fft.irfftn(x, s=(3, 4)), cplx(3, 3)),
    ("fft.hfft", lambda m, x: m.fft.hfft(x, n=6), cplx(4)),
    ("fft.ihfft", lambda m, x: m.fft.ihfft(x), rnd(6)),
    ("fft.fftshift", lambda m, x: (m.fft.fftshift(x), m.fft.ifftshift(x, dim=1)), rnd(3, 4)),
    # torch.special
    ("special.erf", lambda m, x: (m.special.erf(x), m.special.erfc(x), m.special.ndtr(x),
                                  m.special.log_ndtr(x), m.special.expit(x)), rnd(4)),
    ("special.erfinv", lambda m, x: (m.special.erfinv(x), m.special.ndtri((x + 1) / 2)),
     unit(4)),
    ("special.erfcx", lambda m, x: m.special.erfcx(x), rnd(4)),
    ("special.logit", lambda m, x: (m.special.logit(x), m.special.logit(x, eps=0.2)),
     rnd(4, lo=0.05, hi=0.95)),
    ("special.gammaln", lambda m, x: (m.special.gammaln(x), m.special.digamma(x),
                                      m.special.psi(x), m.special.polygamma(1, x),
                                      m.special.multigammaln(x + 2, 3)), pos(4)),
    ("special.bessel", lambda m, x: (m.special.i0(x), m.special.i0e(x), m.special.i1(x),
                                     m.special.i1e(x)), rnd(4)),
    ("special.logsumexp", lambda m, x: (m.special.logsumexp(x, (0, 1)),
                                        m.special.softmax(x, 1),
                                        m.special.log_softmax(x, 0)), rnd(3, 4)),
    ("special.xlogy", lambda m, x, y: (m.special.xlogy(x, y), m.special.xlog1py(x, y)),
     np.array([0.0, 1.5, -2.0]), pos(3)),
    ("special.entr", lambda m, x: m.special.entr(x), pos(4)),
    ("special.elementary", lambda m, x: (m.special.sinc(x), m.special.expm1(x),
                                         m.special.log1p(x), m.special.exp2(x),
                                         m.special.round(x)), pos(4)),
]


def _to(m, a):
    if m is torch:
        t = torch.from_numpy(np.array(a))
        return t.requires_grad_() if t.dtype.is_floating_point or t.dtype.is_complex else t
    t = dualrev.tensor(np.array(a))
    return t.requires_grad_() if t.dtype.kind in "fc" else t


def _outs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _arr(t):
    if isinstance(t, torch.Tensor):
        return t.detach().resolve_conj().numpy()
    return np.asarray(t.detach())


def _run(m, fn, args, weights):
    xs = [_to(m, a) for a in args]
    outs = _outs(fn(m, *xs))
    loss = 0
    for o, w in zip(outs, weights):
        if o.dtype in (torch.int64, np.int64, np.bool_, torch.bool):
            continue
        loss = loss + ((o * _to_const(m, w)).real if o.is_complex() else o * _to_const(
            m, w)).sum()
    loss.backward()
    return [_arr(o) for o in outs], [None if x.grad is None else _arr(x.grad) for x in xs
                                     if x.requires_grad]


def _to_const(m, w):
    w = np.asarray(w)
    return torch.from_numpy(w) if m is torch else dualrev.tensor(w)


@pytest.mark.parametrize("name,fn,args", [(c[0], c[1], c[2:]) for c in CASES],
                         ids=[c[0] for c in CASES])
def test_against_torch(name, fn, args):
    probe = [_to(torch, a) for a in args]
    shapes = [tuple(o.shape) + (("c",) if o.is_complex() else ()) for o in _outs(fn(torch,
                                                                                    *probe))]
    weights = [cplx(*s[:-1]) if s[-1:] == ("c",) else rnd(*s) for s in shapes]
    try:
        ours, our_grads = _run(dualrev, fn, args, weights)
    except NotImplementedError as e:
        pytest.skip(str(e))
    theirs, their_grads = _run(torch, fn, args, weights)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        assert a.dtype == b.dtype, (a.dtype, b.dtype)
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-9)
    for a, b in zip(our_grads, their_grads):
        if b is None:
            assert a is None or not np.any(a)
            continue
        assert a is not None, "no gradient reached an input PyTorch differentiates"
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-8)


def test_in_place_scatter_and_masked_fill_record_the_new_values():
    x0 = rnd(2, 4)
    src = rnd(2, 3)
    results = []
    for m in (dualrev, torch):
        x = _to(m, x0)
        s = _to(m, src)
        y = x * 1
        y.scatter_(1, _to(m, PERM), s)
        y.scatter_add_(1, _to(m, IDX), s)
        y.masked_fill_(_to(m, MASK), 2.0)
        (y * y).sum().backward()
        results.append([_arr(y), _arr(x.grad), _arr(s.grad)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_result_types_and_constant_indices():
    x = dualrev.tensor(rnd(3, 4), requires_grad=True)
    v, i = x.sort(1)
    assert type(v) is dualrev.Tensor and i.dtype == np.int64 and not i.requires_grad
    assert x.topk(2).indices.shape == (3, 2)
    assert x.median(0)._fields == ("values", "indices")
    assert x.aminmax()._fields == ("min", "max")
    U, S, Vh = dualrev.linalg.svd(x)
    assert (U.shape, S.shape, Vh.shape) == ((3, 3), (3,), (4, 4))
    res = dualrev.linalg.lstsq(x.T, dualrev.tensor(rnd(4)))
    assert res._fields == ("solution", "residuals", "rank", "singular_values")
    assert int(res.rank) == 3
    sign, logabsdet = dualrev.linalg.slogdet(x[:, :3])
    assert sign.shape == logabsdet.shape == ()
    w = dualrev.linalg.eigvals(dualrev.tensor(np.diag([1.0, 2.0])))
    assert w.dtype == np.complex128
    assert len(x.split(3, 1)) == 2 and len(x.chunk(3, 0)) == 3
    assert x.unbind(1)[2].shape == (3,)


@pytest.mark.parametrize("call,error", [
    (lambda x: x.gather(1, dualrev.tensor([[0.5]])), RuntimeError),
    (lambda x: x.gather(1, dualrev.tensor([0])), RuntimeError),
    (lambda x: x.topk(5, 1), RuntimeError),
    (lambda x: x.masked_fill(dualrev.tensor([[1, 0, 1, 0]] * 3), 0.0), RuntimeError),
    (lambda x: x.index_select(0, dualrev.tensor([[0]])), IndexError),
    (lambda x: x.narrow(1, 2, 3), RuntimeError),
    (lambda x: x.split([1, 2], 1), RuntimeError),
    (lambda x: x.repeat(2), RuntimeError),
    (lambda x: x.cross(x, dim=1), RuntimeError),
    (lambda x: x.dot(x), RuntimeError),
    (lambda x: x.reshape(3, 2, 2).trace(), RuntimeError),
    (lambda x: x.var(1, True, correction=1), TypeError),
    (lambda x: dualrev.linalg.inv(x), RuntimeError),
    (lambda x: dualrev.linalg.eigh(x[:, :3], UPLO="X"), RuntimeError),
    (lambda x: dualrev.linalg.matrix_norm(x, 3), RuntimeError),
    (lambda x: dualrev.linalg.qr(x, mode="full"), RuntimeError),
    (lambda x: dualrev.cdist(x, x[:, :2]), RuntimeError),
    (lambda x: dualrev.meshgrid(x, indexing="yx"), RuntimeError),
    (lambda x: dualrev.fft.fft(x, norm="half"), (RuntimeError, NotImplementedError)),
])
def test_bad_input_raises(call, error):
    x = dualrev.tensor(rnd(3, 4), requires_grad=True)
    with pytest.raises(error):
        call(x)


def test_at_ties_and_zeros_the_gradient_is_pytorchs():
    """cummax gives the gradient to the last position reaching the maximum, median and
    sort to the entry chosen, vector_norm and cdist 0 at the zero vector (as PyTorch)."""
    x0 = np.array([[1.0, 3.0, 3.0, 2.0, 3.0]])
    for fn in (lambda m, x: m.cummax(x, 1).values, lambda m, x: m.median(x, 1).values,
               lambda m, x: m.linalg.vector_norm(x - x),
               lambda m, x: m.cdist(x, x)):
        grads = []
        for m in (dualrev, torch):
            x = _to(m, x0)
            (fn(m, x) * 1.5).sum().backward()
            grads.append(_arr(x.grad))
        np.testing.assert_array_equal(*grads)


def _single(a):
    a = np.asarray(a)
    return a.astype({"f": np.float32, "c": np.complex64}.get(a.dtype.kind, a.dtype))


@pytest.mark.parametrize("name,fn,args", [(c[0], c[1], c[2:]) for c in CASES],
                         ids=[c[0] for c in CASES])
def test_single_precision_dtypes_as_torch(name, fn, args):
    args = [_single(a) for a in args]
    try:
        ours = _outs(fn(dualrev, *[_to(dualrev, a) for a in args]))
    except NotImplementedError as e:
        pytest.skip(str(e))
    theirs = _outs(fn(torch, *[_to(torch, a) for a in args]))
    assert [str(_arr(o).dtype) for o in ours] == [str(_arr(o).dtype) for o in theirs]
