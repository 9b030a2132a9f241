"""numpy.linalg's inverses, solves, determinants and decompositions, differentiable to any
order and batched over leading axes as NumPy's are.

Each decomposition is one primitive: its outputs (``eigh``'s w and v, ``svd``'s U, s and
Vh ...) travel packed in one array, their trailing axes flattened and concatenated (the
real ones in the complex dtype of the others where the input is complex); the public
function unpacks them with getitem and reshape, so each output is differentiated on its
own.  Rules follow Giles (2008), Murray (2016, cholesky), Townsend (2016, svd) and
Walter & Lehmann / Townsend (qr), written with dualrev.numpy so that they differentiate
again.  Complex values follow JAX's convention: a VJP is the transpose of the JVP over
the reals, ``vjp(g) = conj(adjoint(conj(g)))`` with ``adjoint`` the adjoint of the JVP
for the inner product ``Re(sum(conj(a) * b))``; the rules below write that adjoint.

Inputs that NumPy reads as Hermitian (``cholesky``, ``eigh``, ``eigvalsh``, ``svd`` and
``pinv`` with ``hermitian=True``) are differentiated as JAX and PyTorch do: as functions
of the Hermitian part ``(a + a^H) / 2``; their gradients are Hermitian.
"""
import collections

import numpy as np

from .. import backend
from ..core import Primitive, Tracer, bind, strip
from ._dispatch import CONVERSION_ERRORS, array_of, composite, holds_tracer, nondiff, plain
from ._elementwise import (abs, add, astype, conj, divide, imag, multiply, negative, real,
                           subtract, where)
from ._indexing import diagonal, take_along_axis, tril
from ._linalg import matmul
from ._reductions import sum
from ._shape import broadcast_to, concatenate, expand_dims, getitem, reshape, swapaxes

__all__ = ["inv", "pinv", "solve", "lstsq", "det", "slogdet", "cholesky", "eigh", "eigvalsh",
           "eig", "eigvals", "svd", "svdvals", "qr", "matrix_rank", "LinAlgError",
           "EigResult", "EighResult", "QRResult", "SlogdetResult", "SVDResult", "LstsqResult"]

LinAlgError = np.linalg.LinAlgError
EigResult = collections.namedtuple("EigResult", "eigenvalues eigenvectors")
EighResult = collections.namedtuple("EighResult", "eigenvalues eigenvectors")
QRResult = collections.namedtuple("QRResult", "Q R")
SlogdetResult = collections.namedtuple("SlogdetResult", "sign logabsdet")
SVDResult = collections.namedtuple("SVDResult", "U S Vh")
LstsqResult = collections.namedtuple("LstsqResult", "x residuals rank s")


# ---------------------------------------------------------------- helpers

def _shape(x):
    return np.shape(strip(x))


def _cplx(x):
    return backend.is_complex(strip(x))


def _mT(x):
    return swapaxes(x, -1, -2)


def _H(x):
    return conj(_mT(x)) if _cplx(x) else _mT(x)


def _cj(x):
    return conj(x) if _cplx(x) else x


def _sym(x):
    return (x + _H(x)) * 0.5


def _diag(x):
    return diagonal(x, 0, -2, -1)


def _const(v, like):
    """A NumPy constant v in the library (and on the device) of like; a float constant in
    like's real precision."""
    xs = strip(like)
    dt = backend.dtype(xs)
    if backend.foreign_namespace([xs]) is None:
        return v.astype(np.finfo(dt).dtype) if v.dtype.kind == "f" else v
    xp = backend.namespace(xs)
    vdt = backend.real_dtype(dt, xp) if v.dtype.kind == "f" else backend.xp_dtype(xp, v.dtype)
    return backend.asarray(v, xs, vdt)


def _eye(n, like):
    return _const(np.eye(n), like)


def _embed(v):
    """The diagonal matrices with v (..., n) on their diagonals."""
    n = _shape(v)[-1]
    return multiply(expand_dims(v, -2), _eye(n, v))


def _real_dtype(x):
    dt = backend.dtype(strip(x))
    return np.finfo(dt).dtype if isinstance(dt, np.dtype) else backend.real_dtype(
        dt, backend.namespace(strip(x)))


def _as(x, like):
    """x in like's dtype (a real tangent of a real part packed with complex values)."""
    dt = backend.dtype(strip(like))
    return x if backend.same_dtype(backend.dtype(strip(x)), dt) else astype(x, dt)


def _solve2(a, b):
    """a^-1 b for matrices b with a's batch axes."""
    return bind(solve_p, (a, b))


def _rsolve(b, a):
    """b a^-1."""
    return _mT(_solve2(_mT(a), _mT(b)))


def _square(a, who):
    _square_shape(a)
    _check_dtype(a)
    return a


def _square_shape(a):
    """a's shape, checked to be a stack of square matrices (LinAlgError as NumPy's)."""
    shape = _shape(a)
    if len(shape) < 2:
        raise LinAlgError(f"{len(shape)}-dimensional array given. Array must be at least "
                          f"two-dimensional")
    if shape[-1] != shape[-2]:
        raise LinAlgError("Last 2 dimensions of the array must be square")
    return shape


def _at_least_2d(a):
    shape = _shape(a)
    if len(shape) < 2:
        raise LinAlgError(f"{len(shape)}-dimensional array given. Array must be at least "
                          f"two-dimensional")
    _check_dtype(a)
    return a


def _check_dtype(a):
    if backend.kind(backend.dtype(strip(a))) not in "fc":
        raise TypeError("dualrev.numpy.linalg differentiates float and complex arrays only "
                        f"(got {backend.dtype(strip(a))})")


def _arg(a):
    return array_of(a) if holds_tracer(a) else a


def _rebinding(name, impl, jvp, vjp, xp):
    """A primitive over stacks of matrices: vmap's batch axis is one more leading axis
    (the arguments without one are broadcast along it)."""
    def batch(batched, *args, **params):
        if not all(batched):
            n = next(_shape(a)[0] for a, b in zip(args, batched) if b)
            args = [a if b else broadcast_to(a, (n,) + _shape(a)) for a, b in zip(args, batched)]
        return bind(prim, args, params)
    prim = Primitive(name, impl, jvp=jvp, vjp=vjp, batch=batch, xp=xp)
    return prim


# Packing several outputs into one array (trailing axes flattened and concatenated).

def _pack_np(parts, nbatch, xp=np):
    dt = xp.result_type(*parts)
    flat = [xp.reshape(xp.astype(p, dt) if xp is not np else p.astype(dt, copy=False),
                       tuple(p.shape[:nbatch]) + (-1,)) for p in parts]
    return xp.concat(flat, axis=-1) if xp is not np else np.concatenate(flat, axis=-1)


def _pack(parts, like):
    """Traced parts (tangents), each in like's dtype, packed along the last axis."""
    nbatch = len(_shape(like)) - 1
    flat = [reshape(_as(p, like), _shape(p)[:nbatch] + (-1,)) for p in parts]
    return concatenate(flat, axis=-1)


def _unpack(out, shapes):
    """The parts of a packed array: their trailing shapes ``shapes``."""
    batch = _shape(out)[:-1]
    parts, start = [], 0
    for s in shapes:
        size = int(np.prod(s))
        parts.append(reshape(getitem(out, (Ellipsis, slice(start, start + size))), batch + s))
        start += size
    return parts


def _ns(x):
    return np.linalg if x.__class__ is np.ndarray else backend.namespace(x).linalg


# ---------------------------------------------------------------- solve, inv

solve_p = _rebinding(
    "linalg.solve", np.linalg.solve,
    jvp=(lambda a_dot, ans, a, b: negative(_solve2(a, matmul(a_dot, ans))),
         lambda b_dot, ans, a, b: _solve2(a, b_dot)),
    vjp=(lambda g, ans, a, b: negative(matmul(_solve2(_mT(a), g), _mT(ans))),
         lambda g, ans, a, b: _solve2(_mT(a), g)),
    xp=lambda xp, a, b: xp.linalg.solve(a, b))


def solve(a, b):
    """Differentiable ``numpy.linalg.solve``: x with ``a @ x == b``; b is a vector (1-d)
    or a stack of matrices (..., M, K) whose leading axes broadcast with a's (NumPy 2).

        >>> dualrev.grad(lambda b: dnp.sum(dnp.linalg.solve(2 * np.eye(2), b)))(np.ones(2))
        array([0.5, 0.5])
    """
    if plain(a) and plain(b):
        try:
            return np.linalg.solve(a, b)
        except CONVERSION_ERRORS:
            a, b = _arg(a), _arg(b)
    a = _square(a, "solve")
    sa, sb = _shape(a), _shape(b)
    m = sa[-1]
    if len(sb) == 0:
        raise ValueError("solve: b must be at least 1-dimensional")
    vector = len(sb) == 1
    if vector:
        if sb[0] != m:
            raise ValueError(f"solve: Input operand 1 has a mismatch in its core dimension 0 "
                             f"(size {sb[0]} is different from {m})")
        b = reshape(b, (m, 1))
        sb = (m, 1)
    elif sb[-2] != m:
        raise ValueError(f"solve: Input operand 1 has a mismatch in its core dimension 0 "
                         f"(size {sb[-2]} is different from {m})")
    try:
        batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(f"solve: the leading (batch) dimensions of a {sa} and b {sb} do "
                         f"not broadcast") from None
    if sa[:-2] != batch:
        a = broadcast_to(a, batch + sa[-2:])
    if sb[:-2] != batch:
        b = broadcast_to(b, batch + sb[-2:])
    x = _solve2(a, b)
    return reshape(x, batch + (m,)) if vector else x


inv_p = _rebinding(
    "linalg.inv", np.linalg.inv,
    jvp=(lambda a_dot, ans, a: negative(matmul(matmul(ans, a_dot), ans)),),
    vjp=(lambda g, ans, a: negative(matmul(matmul(_mT(ans), g), _mT(ans))),),
    xp=lambda xp, a: xp.linalg.inv(a))


def inv(a):
    """Differentiable ``numpy.linalg.inv``; raises LinAlgError for a singular matrix.

        >>> dnp.linalg.inv(np.diag([2.0, 4.0]))
        array([[0.5 , 0.  ],
               [0.  , 0.25]])
    """
    if plain(a):
        try:
            return np.linalg.inv(a)
        except CONVERSION_ERRORS:
            a = _arg(a)
    return bind(inv_p, (_square(a, "inv"),))


# ---------------------------------------------------------------- det, slogdet
#
# d det(A) = sum(C * dA) with C the cofactor matrix (the transposed adjugate), which is
# right at singular matrices too; C comes from an SVD, A = U diag(s) Vh:
# adj(A) = det(U) det(Vh) Vh^H diag(prod_{j != i} s_j) U^H.

def _cofactor_np(a, xp=np):
    n = a.shape[-1]
    if n == 1:
        return xp.ones_like(a)
    u, s, vh = (np.linalg.svd(a) if xp is np else xp.linalg.svd(a))
    ones = xp.ones_like(s[..., :1])
    # prod_{j != i} s_j as the product of the prefix before i and the suffix after i
    before = [ones]
    for i in range(1, n):
        before.append(before[-1] * s[..., i - 1:i])
    after = [ones]
    for i in range(n - 2, -1, -1):
        after.insert(0, after[0] * s[..., i + 1:i + 2])
    others = xp.concat([b * c for b, c in zip(before, after)], axis=-1) if xp is not np \
        else np.concatenate([b * c for b, c in zip(before, after)], axis=-1)
    phase = (xp.linalg.det(u) * xp.linalg.det(vh))[..., None, None]
    adj = phase * xp.matmul(xp.conj(xp.matrix_transpose(vh)) if xp is not np else
                            np.conj(np.swapaxes(vh, -1, -2)),
                            (others[..., :, None] * (xp.conj(xp.matrix_transpose(u))
                                                     if xp is not np else
                                                     np.conj(np.swapaxes(u, -1, -2)))))
    return xp.matrix_transpose(adj) if xp is not np else np.swapaxes(adj, -1, -2)


def _selections(n):
    """S (n, n-1, n): S[i] drops row i (``S[i] @ A`` is A without its i-th row)."""
    s = np.zeros((n, n - 1, n))
    for i in range(n):
        s[i, np.arange(n - 1), np.delete(np.arange(n), i)] = 1.0
    return s


def _cofactor_weights(a):
    """W (..., n, n, n, n) and the signs (-1)^(i+j), with
    ``d C[i, j] = sign[i, j] * sum(W[i, j] * dA)`` (C[i, j] is the determinant of the minor
    without row i and column j, signed: its derivative is the cofactors of that minor,
    put back at the minor's rows and columns)."""
    n = _shape(a)[-1]
    s = _const(_selections(n), a)
    rows, cols = expand_dims(s, 1), expand_dims(s, 0)
    minors = matmul(matmul(rows, expand_dims(expand_dims(a, -3), -3)), _mT(cols))
    w = matmul(matmul(_mT(rows), bind(cofactor_p, (minors,))), cols)
    idx = np.arange(n)
    return w, _const((-1.0) ** (idx[:, None] + idx[None, :]), a)


def _well_conditioned(a):
    """Whether every matrix of a has a condition number below 1e4 (then the quotient
    formula of the cofactors' derivative loses at most 4 digits)."""
    x = backend._leaf(strip(a))
    if backend.foreign_namespace([x]) is None:
        s = np.linalg.svd(x, compute_uv=False)
        return bool(np.all(s[..., -1] > 1e-4 * s[..., 0]))
    xp = backend.namespace(x)
    s = xp.linalg.svdvals(x)
    return bool(xp.all(s[..., -1] > 1e-4 * s[..., 0]))


def _cofactor_jvp(a_dot, ans, a):
    n = _shape(a)[-1]
    if n == 1:
        return multiply(a_dot, 0.0)
    if _well_conditioned(a):
        # C = det(A) A^-T: dC = (sum(C * dA) C - C dA^T C) / det(A)
        d = expand_dims(expand_dims(det(a), -1), -1)
        t = expand_dims(expand_dims(sum(multiply(ans, a_dot), axis=(-2, -1)), -1), -1)
        return divide(subtract(multiply(t, ans), matmul(matmul(ans, _mT(a_dot)), ans)), d)
    w, sg = _cofactor_weights(a)
    return multiply(sg, sum(multiply(w, expand_dims(expand_dims(a_dot, -3), -3)),
                            axis=(-2, -1)))


def _cofactor_vjp(g, ans, a):
    n = _shape(a)[-1]
    if n == 1:
        return multiply(g, 0.0)
    if _well_conditioned(a):
        d = expand_dims(expand_dims(det(a), -1), -1)
        t = expand_dims(expand_dims(sum(multiply(ans, g), axis=(-2, -1)), -1), -1)
        return divide(subtract(multiply(t, ans), matmul(matmul(ans, _mT(g)), ans)), d)
    w, sg = _cofactor_weights(a)
    coef = expand_dims(expand_dims(multiply(sg, g), -1), -1)
    return sum(multiply(coef, w), axis=(-4, -3))


def _cofactor_batch(batched, a):
    return bind(cofactor_p, (a,))


cofactor_p = Primitive("linalg.cofactor", _cofactor_np, jvp=(_cofactor_jvp,),
                       vjp=(_cofactor_vjp,), batch=_cofactor_batch,
                       xp=lambda xp, a: _cofactor_np(a, xp), register=False)


def _det_jvp(a_dot, ans, a):
    return sum(multiply(bind(cofactor_p, (a,)), a_dot), axis=(-2, -1))


def _det_vjp(g, ans, a):
    return multiply(expand_dims(expand_dims(g, -1), -1), bind(cofactor_p, (a,)))


det_p = _rebinding("linalg.det", np.linalg.det, jvp=(_det_jvp,), vjp=(_det_vjp,),
                   xp=lambda xp, a: xp.linalg.det(a))


def det(a):
    """Differentiable ``numpy.linalg.det``; its derivative is the cofactor matrix, right at
    singular matrices too (to every order).

        >>> dualrev.grad(dnp.linalg.det)(np.array([[1.0, 2.0], [2.0, 4.0]]))
        array([[ 4., -2.],
               [-2.,  1.]])
    """
    if plain(a):
        try:
            return np.linalg.det(a)
        except CONVERSION_ERRORS:
            a = _arg(a)
    return bind(det_p, (_square(a, "det"),))


def _slogdet_np(a, xp=np):
    sgn, logabs = np.linalg.slogdet(a) if xp is np else xp.linalg.slogdet(a)
    return _pack_np([sgn[..., None], logabs[..., None]], sgn.ndim, xp)


def _singular(ans):
    """Whether some matrix of slogdet's packed result ans is singular (logabsdet -inf)."""
    x = backend._leaf(strip(ans))[..., 1]
    xp = np if backend.foreign_namespace([x]) is None else backend.namespace(x)
    if backend.is_complex(x):
        x = xp.real(x)
    return bool(xp.any(x == -xp.inf))


def _inv_T(a, ans):
    """a^-T; at a singular matrix the cofactors over det: inf and nan (as JAX)."""
    if _singular(ans):
        d = expand_dims(expand_dims(bind(det_p, (a,)), -1), -1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return divide(bind(cofactor_p, (a,)), d)
    return _mT(bind(inv_p, (a,)))


def _slogdet_t(a, a_dot, ans):
    """tr(a^-1 a_dot); at a singular matrix sum(cofactors * a_dot) / 0 (as JAX)."""
    if _singular(ans):
        with np.errstate(divide="ignore", invalid="ignore"):
            return divide(sum(multiply(bind(cofactor_p, (a,)), a_dot), axis=(-2, -1)),
                          bind(det_p, (a,)))
    return sum(multiply(_mT(bind(inv_p, (a,))), a_dot), axis=(-2, -1))


def _slogdet_jvp(a_dot, ans, a):
    sgn, _ = _unpack(ans, [(1,), (1,)])
    t = expand_dims(_slogdet_t(a, a_dot, ans), -1)
    if not _cplx(ans):
        return _pack([multiply(t, 0.0), t], ans)
    return _pack([multiply(sgn, imag(t) * 1j), real(t)], ans)


def _slogdet_vjp(g, ans, a):
    sgn, _ = _unpack(ans, [(1,), (1,)])
    g_s, g_l = _unpack(g, [(1,), (1,)])
    coef = real(g_l)
    if _cplx(ans):
        coef = add(coef, imag(multiply(sgn, g_s)) * 1j)
    return multiply(expand_dims(coef, -1), _inv_T(a, ans))


slogdet_p = _rebinding("linalg.slogdet", _slogdet_np, jvp=(_slogdet_jvp,),
                       vjp=(_slogdet_vjp,), xp=lambda xp, a: _slogdet_np(a, xp))


def slogdet(a):
    """Differentiable ``numpy.linalg.slogdet``: ``(sign, logabsdet)``; the sign of a complex
    matrix is complex (``det / |det|``) and differentiable, a real matrix's is a constant.

        >>> dnp.linalg.slogdet(np.diag([-2.0, 3.0]))
        SlogdetResult(sign=np.float64(-1.0), logabsdet=np.float64(1.791759469228055))
    """
    if plain(a):
        try:
            return np.linalg.slogdet(a)
        except CONVERSION_ERRORS:
            a = _arg(a)
    out = bind(slogdet_p, (_square(a, "slogdet"),))
    sgn, logabs = _unpack(out, [(), ()])
    return SlogdetResult(sgn, real(logabs) if _cplx(out) else logabs)


# ---------------------------------------------------------------- cholesky
#
# Murray (2016): dL = L Phi(L^-1 sym(dA) L^-H), Phi the lower triangle with half the
# diagonal; its adjoint: sym(L^-H Phi(L^H G) L^-1).

def _phi(x):
    return subtract(tril(x), _embed(_diag(x)) * 0.5)


def _cholesky_jvp(a_dot, ans, a):
    x = _solve2(ans, _sym(a_dot))
    return matmul(ans, _phi(_solve2(ans, _H(x))))


def _cholesky_vjp(g, ans, a):
    lh = _H(ans)
    z = _solve2(lh, _phi(matmul(lh, _cj(g))))
    return _cj(_sym(_H(_solve2(lh, _H(z)))))


cholesky_p = _rebinding("linalg.cholesky", np.linalg.cholesky, jvp=(_cholesky_jvp,),
                        vjp=(_cholesky_vjp,), xp=lambda xp, a: xp.linalg.cholesky(a))


def cholesky(a, /, *, upper=False):
    """Differentiable ``numpy.linalg.cholesky``: L (lower) with ``a = L @ L^H``, or
    ``L^H`` with ``upper=True``; LinAlgError if a is not positive definite.  Derivatives
    treat a as Hermitian (its Hermitian part), as JAX.

        >>> dnp.linalg.cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
        array([[2., 0.],
               [1., 2.]])
    """
    if plain(a):
        try:
            return np.linalg.cholesky(a, upper=upper) if upper else np.linalg.cholesky(a)
        except CONVERSION_ERRORS:
            a = _arg(a)
    a = _square(a, "cholesky")
    if upper:     # NumPy reads the upper triangle: the lower one of a^H
        return _H(bind(cholesky_p, (_H(a),)))
    return bind(cholesky_p, (a,))


# ---------------------------------------------------------------- eigh
#
# Giles (2008): with A = V diag(w) V^H and dA' = V^H sym(dA) V,
# dw = Re diag(dA'), dV = V (F * dA'), F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on
# it (inf at repeated eigenvalues, as JAX).

def _eigh_np(a, *, UPLO, xp=np):
    if xp is np:
        w, v = np.linalg.eigh(a, UPLO)
    else:
        w, v = xp.linalg.eigh(a)
    return _pack_np([w, v], w.ndim - 1, xp)


def _eigh_parts(ans, n):
    w, v = _unpack(ans, [(n,), (n, n)])
    return (real(w) if _cplx(ans) else w), v


def _gaps(w):
    """1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    n = _shape(w)[-1]
    eye = _eye(n, w)
    return subtract(divide(1.0, add(eye, subtract(expand_dims(w, -2), expand_dims(w, -1)))),
                    eye)


_all = nondiff(np.all)


def _gated(f, x, g):
    """f * x, 0 for a matrix whose cotangent g is all zero: in a VJP, a zero cotangent of
    the eigenvectors (singular vectors) adds nothing at a repeated eigenvalue (singular
    value), where f is inf, as JAX's symbolic zeros; so the eigenvalues' gradient stays
    finite there."""
    zero = expand_dims(expand_dims(_all(strip(g) == 0, axis=(-2, -1)), -1), -1)
    return where(zero, 0.0, multiply(f, x))


def _eigh_jvp(a_dot, ans, a, *, UPLO):
    n = _shape(a)[-1]
    w, v = _eigh_parts(ans, n)
    d = matmul(matmul(_H(v), _sym(a_dot)), v)
    dw = real(_diag(d))
    dv = matmul(v, multiply(_gaps(w), d))
    return _pack([dw, dv], ans)


def _eigh_vjp(g, ans, a, *, UPLO):
    n = _shape(a)[-1]
    w, v = _eigh_parts(ans, n)
    gw, gv = _unpack(_cj(g), [(n,), (n, n)])
    inner = add(_embed(real(gw)), _gated(_gaps(w), matmul(_H(v), gv), gv))
    return _cj(_sym(matmul(matmul(v, inner), _H(v))))


eigh_p = _rebinding("linalg.eigh", _eigh_np, jvp=(_eigh_jvp,), vjp=(_eigh_vjp,),
                    xp=lambda xp, a, *, UPLO: _eigh_np(a, UPLO=UPLO, xp=xp))


def _uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return UPLO


def eigh(a, UPLO="L"):
    """Differentiable ``numpy.linalg.eigh``: ``(eigenvalues, eigenvectors)`` of a Hermitian
    matrix (its lower or upper triangle, ``UPLO``).  Derivatives treat a as Hermitian, as
    JAX; the eigenvectors' derivatives are inf/nan at repeated eigenvalues (as JAX's).

        >>> dnp.linalg.eigh(np.diag([2.0, 1.0])).eigenvalues
        array([1., 2.])
    """
    if plain(a):
        try:
            return np.linalg.eigh(a, UPLO)
        except CONVERSION_ERRORS:
            a = _arg(a)
    a = _square(a, "eigh")
    out = bind(eigh_p, (a,), dict(UPLO=_uplo(UPLO)))
    return EighResult(*_eigh_parts(out, _shape(a)[-1]))


@composite(np.linalg.eigvalsh, name="linalg.eigvalsh")
def eigvalsh(a, UPLO="L"):
    """Differentiable ``numpy.linalg.eigvalsh``: the eigenvalues of a Hermitian matrix,
    ascending (eigh's).

        >>> dnp.linalg.eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]]))
        array([1., 3.])
    """
    return eigh(a, UPLO)[0]


# ---------------------------------------------------------------- eig
#
# Giles (2008): P = V^-1 dA V, dw = diag(P), dV = V (F * P) + V diag(c), F[i, j] =
# 1 / (w[j] - w[i]) off the diagonal; c fixes LAPACK's normalisation of each column v
# (unit norm, largest-magnitude component k real):
# c = -Re(v^H u) - i Im(u[k]) / v[k], u = V (F * P) (as JAX).

def _eig_np(a, xp=np):
    if xp is not np:
        raise NotImplementedError("eig: the array API standard has no eig")
    w, v = np.linalg.eig(a)
    return _pack_np([w, v], w.ndim - 1)


_argmax, _argsort, _sign, _greater = (nondiff(np.argmax), nondiff(np.argsort), nondiff(np.sign),
                                      nondiff(np.greater))


def _eig_mask(v):
    """True at each column's largest-magnitude component (a constant)."""
    vs = strip(v)
    k = _argmax(abs(vs), axis=-2)
    rows = _const(np.arange(_shape(v)[-2])[:, None], v)
    return nondiff(np.equal)(rows, expand_dims(k, -2))


def _masked_sum(mask, x):
    return sum(where(mask, x, 0.0), axis=-2)


def _eig_jvp(a_dot, ans, a):
    n = _shape(a)[-1]
    w, v = _unpack(ans, [(n,), (n, n)])
    p = matmul(_solve2(v, _as(a_dot, ans)), v)
    u = matmul(v, multiply(_gaps(w), p))
    c = negative(real(sum(multiply(_cj(v), u), axis=-2)))
    if _cplx(ans):
        mask = _eig_mask(v)
        c = subtract(c, divide(imag(_masked_sum(mask, u)), real(_masked_sum(mask, v))) * 1j)
    return _pack([_diag(p), add(u, multiply(v, expand_dims(c, -2)))], ans)


def _eig_vjp(g, ans, a):
    n = _shape(a)[-1]
    w, v = _unpack(ans, [(n,), (n, n)])
    gw, gv = _unpack(_cj(g), [(n,), (n, n)])
    gc = sum(multiply(_cj(v), gv), axis=-2)
    gu = subtract(gv, multiply(v, expand_dims(real(gc), -2)))
    if _cplx(ans):
        mask = _eig_mask(v)
        gb = divide(imag(gc), real(_masked_sum(mask, v))) * 1j
        gu = subtract(gu, where(mask, expand_dims(gb, -2), 0.0))
    gp = add(_embed(gw), _gated(_cj(_gaps(w)), matmul(_H(v), gu), gv))
    return _cj(matmul(_solve2(_H(v), gp), _H(v)))


eig_p = _rebinding("linalg.eig", _eig_np, jvp=(_eig_jvp,), vjp=(_eig_vjp,),
                   xp=lambda xp, a: _eig_np(a, xp))


def eig(a):
    """Differentiable ``numpy.linalg.eig``: ``(eigenvalues, eigenvectors)``, real where
    every eigenvalue of a real input is real (as NumPy), else complex.  Eigenvectors are
    normalised as LAPACK's (unit norm, largest component real) and differentiated with
    that normalisation, as JAX; their derivatives are inf/nan at repeated eigenvalues.

        >>> dnp.linalg.eig(np.diag([2.0, 1.0])).eigenvalues
        array([2., 1.])
    """
    if plain(a):
        try:
            return np.linalg.eig(a)
        except CONVERSION_ERRORS:
            a = _arg(a)
    a = _square(a, "eig")
    n = _shape(a)[-1]
    out = bind(eig_p, (a,))
    return EigResult(*_unpack(out, [(n,), (n, n)]))


@composite(np.linalg.eigvals, name="linalg.eigvals")
def eigvals(a):
    """Differentiable ``numpy.linalg.eigvals`` (eig's eigenvalues).

        >>> dnp.linalg.eigvals(np.array([[0.0, 1.0], [-1.0, 0.0]]))
        array([0.+1.j, 0.-1.j])
    """
    return eig(a)[0]


# ---------------------------------------------------------------- svd
#
# Townsend (2016), as JAX: with dS = U^H dA V, F[i, j] = 1 / (s[j]^2 - s[i]^2) off the
# diagonal, D = diag(s):
# ds = Re diag(dS), dU = U (F * (dS D + D dS^H) + (dS - dS^H) / 2 * diag(1/s))
# + (I - U U^H) dA V D^-1, dV = V (F * (D dS + dS^H D)) + (I - V V^H) dA^H U D^-1.

def _svd_np(a, *, full_matrices, compute_uv, xp=np):
    if not compute_uv:
        return np.linalg.svd(a, compute_uv=False) if xp is np else xp.linalg.svdvals(a)
    if xp is np:
        u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    else:
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
    return _pack_np([u, s, vh], s.ndim - 1, xp)


def _svd_shapes(shape, full_matrices):
    m, n = shape[-2:]
    k = min(m, n)
    if full_matrices:
        return [(m, m), (k,), (n, n)]
    return [(m, k), (k,), (k, n)]


def _svd_parts(out, shape, full_matrices):
    u, s, vh = _unpack(out, _svd_shapes(shape, full_matrices))
    return u, (real(s) if _cplx(out) else s), vh


def _svd_reduced(a):
    out = bind(svd_p, (a,), dict(full_matrices=False, compute_uv=True))
    return _svd_parts(out, _shape(a), False)


def _full_check(a, full_matrices):
    m, n = _shape(a)[-2:]
    if full_matrices and m != n:
        raise NotImplementedError(
            "svd: derivatives of U and Vh with full_matrices=True are defined only for "
            "square matrices (the extra columns are not unique); pass full_matrices=False")


def _inv_s(s):
    zero = strip(s) == 0
    return where(zero, 0.0, divide(1.0, where(zero, 1.0, s)))


def _svd_jvp(a_dot, ans, a, *, full_matrices, compute_uv):
    if not compute_uv:
        u, s, vh = _svd_reduced(a)
        return real(_diag(matmul(matmul(_H(u), a_dot), _H(vh))))
    _full_check(a, full_matrices)
    m, n = _shape(a)[-2:]
    u, s, vh = _svd_parts(ans, _shape(a), full_matrices)
    v = _H(vh)
    ds_ = matmul(matmul(_H(u), a_dot), v)
    row, col = expand_dims(s, -2), expand_dims(s, -1)
    f = _gaps(s * s)
    dss, sds = multiply(ds_, row), multiply(col, ds_)
    du = matmul(u, add(multiply(f, add(dss, _H(dss))),
                       multiply(subtract(ds_, _H(ds_)) * 0.5, _embed(_inv_s(s)))))
    dv = matmul(v, multiply(f, add(sds, _H(sds))))
    if m > n:
        dav = matmul(a_dot, v)
        du = add(du, divide(subtract(dav, matmul(u, matmul(_H(u), dav))), row))
    if n > m:
        dahu = matmul(_H(a_dot), u)
        dv = add(dv, divide(subtract(dahu, matmul(v, matmul(vh, dahu))), row))
    return _pack([du, real(_diag(ds_)), _H(dv)], ans)


def _svd_vjp(g, ans, a, *, full_matrices, compute_uv):
    if not compute_uv:
        u, s, vh = _svd_reduced(a)
        return _cj(matmul(multiply(u, expand_dims(real(g), -2)), vh))
    _full_check(a, full_matrices)
    m, n = _shape(a)[-2:]
    u, s, vh = _svd_parts(ans, _shape(a), full_matrices)
    v = _H(vh)
    gu, gs, gvh = _unpack(_cj(g), _svd_shapes(_shape(a), full_matrices))
    gv = _H(gvh)
    row, col = expand_dims(s, -2), expand_dims(s, -1)
    f = _gaps(s * s)
    gy = matmul(_H(u), gu)
    h = _gated(f, gy, gu)
    k = multiply(_embed(_inv_s(s)), gy) * 0.5
    h2 = _gated(f, matmul(_H(v), gv), gv)
    gx = add(_embed(real(gs)), multiply(add(h, _H(h)), row))
    gx = add(gx, subtract(k, _H(k)))
    gx = add(gx, multiply(col, add(h2, _H(h2))))
    ga = matmul(matmul(u, gx), vh)
    if m > n:
        gs_u = divide(gu, row)
        ga = add(ga, matmul(subtract(gs_u, matmul(u, matmul(_H(u), gs_u))), vh))
    if n > m:
        w = _H(divide(gv, row))
        ga = add(ga, matmul(u, subtract(w, matmul(matmul(w, v), vh))))
    return _cj(ga)


svd_p = _rebinding("linalg.svd", _svd_np, jvp=(_svd_jvp,), vjp=(_svd_vjp,),
                   xp=lambda xp, a, *, full_matrices, compute_uv: _svd_np(
                       a, full_matrices=full_matrices, compute_uv=compute_uv, xp=xp))


def _svd_hermitian(a, compute_uv):
    """NumPy's SVD of a Hermitian matrix from its eigendecomposition (singular values
    |w| descending, the eigenvalues' signs moved into Vh), in dualrev.numpy."""
    w, v = eigh(a)
    s = abs(w)
    order = getitem(_argsort(strip(s), axis=-1), (Ellipsis, slice(None, None, -1)))
    s = take_along_axis(s, order, axis=-1)
    if not compute_uv:
        return s
    sgn = take_along_axis(_sign(strip(w)), order, axis=-1)
    u = take_along_axis(v, expand_dims(order, -2), axis=-1)
    vh = _H(multiply(u, expand_dims(sgn, -2)))
    return SVDResult(u, s, vh)


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """Differentiable ``numpy.linalg.svd``: ``(U, S, Vh)`` with ``a = U @ diag(S) @ Vh``
    (or S alone, ``compute_uv=False``).  U's and Vh's derivatives: with
    ``full_matrices=False`` or a square matrix (the extra columns of a non-square one
    are not unique: NotImplementedError, as JAX); inf/nan at repeated singular values (as
    JAX).  ``hermitian=True`` computes it from ``eigh``, as NumPy.

        >>> dnp.linalg.svd(np.diag([1.0, -3.0]), compute_uv=False)
        array([3., 1.])
    """
    if plain(a):
        try:
            return np.linalg.svd(a, full_matrices, compute_uv, hermitian)
        except CONVERSION_ERRORS:
            a = _arg(a)
    a = _at_least_2d(a)
    if hermitian:
        return _svd_hermitian(_square(a, "svd"), compute_uv)
    out = bind(svd_p, (a,), dict(full_matrices=bool(full_matrices) and bool(compute_uv),
                                 compute_uv=bool(compute_uv)))
    if not compute_uv:
        return out
    return SVDResult(*_svd_parts(out, _shape(a), full_matrices))


@composite(getattr(np.linalg, "svdvals", lambda x, /: np.linalg.svd(x, compute_uv=False)),
           name="linalg.svdvals")
def svdvals(x, /):
    """Differentiable ``numpy.linalg.svdvals``: the singular values, descending.

        >>> dnp.linalg.svdvals(np.diag([1.0, -3.0]))
        array([3., 1.])
    """
    return svd(x, compute_uv=False)


# ---------------------------------------------------------------- qr
#
# Walter & Lehmann / Townsend, as JAX: for m >= n, C = dA R^-1, Y = Q^H C,
# Om = tril(Y, -1) - tril(Y, -1)^H + i Im(diag(Y)), dQ = Q (Om - Y) + C, dR = (Y - Om) R.
# A wide matrix [X1 X2] (m < n): X1 = Q R1 as above, R2 = Q^H X2, dR2 = dQ^H X2 + Q^H dX2.

def _qr_np(a, *, mode, xp=np):
    q, r = np.linalg.qr(a, mode) if xp is np else xp.linalg.qr(a, mode=mode)
    return _pack_np([q, r], r.ndim - 2, xp)


def _qr_shapes(shape, mode):
    m, n = shape[-2:]
    k = m if mode == "complete" else min(m, n)
    return [(m, k), (k, n)]


def _omega(y):
    lo = tril(y, -1)
    out = subtract(lo, _H(lo))
    if _cplx(y):
        out = add(out, _embed(imag(_diag(y))) * 1j)
    return out


def _omega_adjoint(y):
    out = subtract(tril(y, -1), tril(_H(y), -1))
    if _cplx(y):
        out = add(out, _embed(imag(_diag(y))) * 1j)
    return out


def _qr_check(a, mode):
    m, n = _shape(a)[-2:]
    if mode == "complete" and m > n:
        raise NotImplementedError(
            "qr: derivatives with mode='complete' are defined for m <= n only (the extra "
            "columns of Q are not unique); use mode='reduced'")


def _qr_jvp(a_dot, ans, a, *, mode):
    _qr_check(a, mode)
    m, n = _shape(a)[-2:]
    q, r = _unpack(ans, _qr_shapes(_shape(a), mode))
    if m < n:
        dx1, dx2 = getitem(a_dot, (Ellipsis, slice(0, m))), getitem(a_dot, (Ellipsis, slice(m, n)))
        r1 = getitem(r, (Ellipsis, slice(0, m)))
    else:
        dx1, r1 = a_dot, r
    c = _rsolve(dx1, r1)
    y = matmul(_H(q), c)
    om = _omega(y)
    dq = add(matmul(q, subtract(om, y)), c)
    dr = matmul(subtract(y, om), r1)
    if m < n:
        x2 = getitem(a, (Ellipsis, slice(m, n)))
        dr = concatenate([dr, add(matmul(_H(dq), x2), matmul(_H(q), dx2))], axis=-1)
    return _pack([dq, dr], ans)


def _qr_vjp(g, ans, a, *, mode):
    _qr_check(a, mode)
    m, n = _shape(a)[-2:]
    q, r = _unpack(ans, _qr_shapes(_shape(a), mode))
    gq, gr = _unpack(_cj(g), _qr_shapes(_shape(a), mode))
    if m < n:
        x2 = getitem(a, (Ellipsis, slice(m, n)))
        gr1, gr2 = getitem(gr, (Ellipsis, slice(0, m))), getitem(gr, (Ellipsis, slice(m, n)))
        gq = add(gq, matmul(x2, _H(gr2)))
        r1 = getitem(r, (Ellipsis, slice(0, m)))
    else:
        gr1, r1 = gr, r
    mm = subtract(matmul(_H(q), gq), matmul(gr1, _H(r1)))
    gy = add(negative(mm), _omega_adjoint(mm))
    gc = add(gq, matmul(q, gy))
    ga = _H(_solve2(r1, _H(gc)))
    if m < n:
        ga = concatenate([ga, matmul(q, gr2)], axis=-1)
    return _cj(ga)


qr_p = _rebinding("linalg.qr", _qr_np, jvp=(_qr_jvp,), vjp=(_qr_vjp,),
                  xp=lambda xp, a, *, mode: _qr_np(a, mode=mode, xp=xp))


def qr(a, mode="reduced"):
    """Differentiable ``numpy.linalg.qr``: ``(Q, R)`` (``mode='reduced'`` or
    ``'complete'``), or R alone (``mode='r'``).  Derivatives of ``'complete'`` with more
    rows than columns are not unique (NotImplementedError, as JAX); ``mode='raw'`` is
    LAPACK's storage, not differentiable.

        >>> dnp.linalg.qr(np.eye(2)).R
        array([[1., 0.],
               [0., 1.]])
    """
    if plain(a):
        try:
            return np.linalg.qr(a, mode)
        except CONVERSION_ERRORS:
            a = _arg(a)
    if mode not in ("reduced", "complete", "r"):
        if mode == "raw":
            raise NotImplementedError("qr: mode='raw' (LAPACK's Householder storage) is not "
                                      "differentiable; use mode='reduced'")
        raise ValueError(f"Unrecognized mode '{mode}'")
    a = _at_least_2d(a)
    prim_mode = "reduced" if mode == "r" else mode
    out = bind(qr_p, (a,), dict(mode=prim_mode))
    q, r = _unpack(out, _qr_shapes(_shape(a), prim_mode))
    return r if mode == "r" else QRResult(q, r)


# ---------------------------------------------------------------- pinv, lstsq
#
# Golub & Pereyra (1973): dP = -P dA P + P P^H dA^H (I - A P) + (I - P A) dA^H P^H P,
# for a fixed rank (as JAX).

_NOVALUE = np._NoValue


def _pinv_rcond(a_shape, dtype, rcond, rtol):
    if rcond is None:
        if rtol is _NOVALUE:
            return 1e-15
        if rtol is None:
            return max(a_shape[-2:]) * float(np.finfo(dtype).eps)
        return rtol
    if rtol is not _NOVALUE:
        raise ValueError("`rtol` and `rcond` can't be both set.")
    return rcond


def _pinv_np(a, *, rcond, hermitian):
    return np.linalg.pinv(a, rcond=rcond, hermitian=hermitian)


def _pinv_jvp(a_dot, ans, a, *, rcond, hermitian):
    p = ans
    if hermitian:
        a, a_dot = _sym(a), _sym(a_dot)
    pe = matmul(p, a_dot)
    eh = _H(a_dot)
    t1 = negative(matmul(pe, p))
    x = matmul(matmul(p, _H(p)), eh)
    t2 = subtract(x, matmul(matmul(x, a), p))
    y = matmul(eh, matmul(_H(p), p))
    t3 = subtract(y, matmul(p, matmul(a, y)))
    return add(add(t1, t2), t3)


def _pinv_vjp(g, ans, a, *, rcond, hermitian):
    p, ph = ans, _H(ans)
    if hermitian:
        a = _sym(a)
    gb = _cj(g)
    gh = _H(gb)
    t1 = negative(matmul(matmul(ph, gb), ph))
    x = matmul(gh, matmul(p, ph))
    t2 = subtract(x, matmul(a, matmul(p, x)))
    y = matmul(matmul(ph, p), gh)
    t3 = subtract(y, matmul(matmul(y, p), a))
    out = add(add(t1, t2), t3)
    return _cj(_sym(out) if hermitian else out)


pinv_p = _rebinding("linalg.pinv", _pinv_np, jvp=(_pinv_jvp,), vjp=(_pinv_vjp,),
                    xp=lambda xp, a, *, rcond, hermitian: xp.linalg.pinv(a, rtol=rcond))


def pinv(a, rcond=None, hermitian=False, *, rtol=_NOVALUE):
    """Differentiable ``numpy.linalg.pinv``: the Moore-Penrose pseudo-inverse; singular
    values below ``rcond`` (or ``rtol``) times the largest are dropped.  Its derivative
    holds where the rank does not change (Golub & Pereyra), as JAX's.

        >>> dnp.linalg.pinv(np.array([[2.0, 0.0]]))
        array([[0.5],
               [0. ]])
    """
    if plain(a) and plain(rcond):
        try:
            if rtol is _NOVALUE:
                return np.linalg.pinv(a, rcond, hermitian)
            return np.linalg.pinv(a, rcond, hermitian, rtol=rtol)
        except CONVERSION_ERRORS:
            a = _arg(a)
    a = _at_least_2d(a)
    rc = _pinv_rcond(_shape(a), _real_dtype(a), strip(rcond), rtol)
    if np.ndim(rc):
        raise TypeError("pinv: an array rcond on traced matrices is not supported; pass one "
                        "number")
    return bind(pinv_p, (a,), dict(rcond=float(rc), hermitian=bool(hermitian)))


def _lstsq_np(a, b, rcond=None):
    return np.linalg.lstsq(a, b, rcond=rcond)


@composite(_lstsq_np, name="linalg.lstsq")
def lstsq(a, b, rcond=None):
    """Differentiable ``numpy.linalg.lstsq``: ``(x, residuals, rank, s)``; x, the residuals
    and the singular values s are differentiable (at a fixed rank), rank is a constant.

        >>> dnp.linalg.lstsq(np.array([[1.0], [1.0]]), np.array([1.0, 3.0]))[0]
        array([2.])
    """
    a, b = _arg(a), _arg(b)
    sa, sb = _shape(a), _shape(b)
    if len(sa) != 2:
        raise LinAlgError(f"{len(sa)}-dimensional array given. Array must be two-dimensional")
    if len(sb) not in (1, 2):
        raise LinAlgError(f"{len(sb)}-dimensional array given. Array must be one or "
                          f"two-dimensional")
    m, n = sa
    if sb[0] != m:
        raise LinAlgError("Incompatible dimensions")
    _check_dtype(a)
    if rcond is None:
        rcond = float(np.finfo(_real_dtype(a)).eps) * max(m, n)
    s = svd(a, compute_uv=False)
    ss = strip(s)
    rank = sum(_greater(ss, getitem(ss, (Ellipsis, slice(0, 1))) * rcond), axis=-1)
    rank = astype(rank, np.int32) if isinstance(rank, Tracer) else np.int32(rank)
    x = matmul(bind(pinv_p, (a,), dict(rcond=float(rcond), hermitian=False)), b)
    if m > n and np.all(backend.to_numpy(strip(rank)) == n):
        r = subtract(b, matmul(a, x))
        res = sum(real(multiply(r, conj(r))) if _cplx(r) else multiply(r, r), axis=0)
        if len(sb) == 1:
            res = reshape(res, (1,))
    else:
        res = np.zeros((0,), dtype=_real_dtype(a))
    return LstsqResult(x, res, rank, s)


matrix_rank = nondiff(np.linalg.matrix_rank, name="matrix_rank")
