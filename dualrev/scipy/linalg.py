"""dualrev.scipy.linalg: SciPy's linear algebra, differentiable, batched over leading axes
as ``jax.scipy.linalg`` is.

``solve_triangular``, ``lu_factor`` (of the row-permuted matrix; the pivots are constants),
``expm`` and ``sqrtm`` are primitives (``registry["scipy.linalg.expm"]`` ...) whose rules
are written with primitives again (triangular solves, expm of a block matrix, an
eigendecomposition), so derivatives of every order work; the other functions are
composites of them and of dualrev.numpy's primitives (registered as
``"scipy.linalg.<name>"``).  SciPy is optional: where it is installed it computes the
values of untraced calls; NumPy implementations stand in without it.  Complex inputs follow
JAX's convention (a VJP is the transpose of the JVP over the reals).  ``check_finite``
is honoured by untraced calls; traced calls ignore it (as JAX), as they do ``overwrite_*``.
"""
import numpy as np

from .. import backend
from .. import numpy as dnp
from ..core import bind, strip
from ..numpy import _decomp
from ..numpy._decomp import _H, _cj, _const, _mT, _rebinding, _shape
from ..numpy._dispatch import CONVERSION_ERRORS, composite, nondiff, plain
from ..numpy._elementwise import negative
from ..numpy._linalg import matmul
from ..numpy._shape import broadcast_to, getitem, reshape

try:
    import scipy.linalg as _scipy
except ImportError:   # pragma: no cover - exercised by monkeypatching _scipy to None
    _scipy = None

__all__ = ["solve_triangular", "cho_factor", "cho_solve", "block_diag", "cholesky", "solve",
           "inv", "det", "lu_factor", "lu_solve", "expm", "sqrtm", "LinAlgError"]

LinAlgError = np.linalg.LinAlgError
_TRANS = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2, "n": 0, "t": 1, "c": 2}


def _trans(trans):
    try:
        return _TRANS[trans]
    except (KeyError, TypeError):
        raise ValueError(f"solve_triangular: invalid trans {trans!r}: use 0, 1, 2, "
                         f"'N', 'T' or 'C'") from None


# ---------------------------------------------------------------- solve_triangular
#
# x = op(A)^-1 b with op the identity, transpose or conjugate transpose, A read in one
# triangle.  dx = op(A)^-1 (db - op(dA) x); with y = op(A)^-T g (the transposed system),
# the cotangents are y for b and -(y x^T), transposed back through op, for A (in the
# triangle).

def _triangle(n, lower, unit_diagonal):
    m = np.tri(n, k=-1 if unit_diagonal else 0)
    return m if lower else m.T


def _nonsingular(a, xp=np):
    if xp is not np:
        if bool(xp.any(xp.linalg.diagonal(a) == 0)):
            raise LinAlgError("singular matrix: a zero on the diagonal")
        return
    zero = np.diagonal(a, 0, -2, -1) == 0
    if zero.any():
        i = int(np.argmax(zero.reshape(-1, zero.shape[-1]).any(axis=0)))
        raise LinAlgError(f"singular matrix: resolution failed at diagonal {i}")


def _op_np(a, trans, xp=np):
    if trans == 0:
        return a
    at = xp.matrix_transpose(a) if xp is not np else np.swapaxes(a, -1, -2)
    return xp.conj(at) if trans == 2 and backend.is_complex(a) else at


def _triangular_np(a, b, *, trans, lower, unit_diagonal):
    if a.ndim == 2 and _scipy is not None:
        return _scipy.solve_triangular(a, b, trans=trans, lower=lower,
                                       unit_diagonal=unit_diagonal, check_finite=False)
    n = a.shape[-1]
    if not unit_diagonal:
        _nonsingular(a)
    t = np.where(_triangle(n, lower, unit_diagonal).astype(bool), a, 0)
    if unit_diagonal:
        t = t + np.eye(n, dtype=t.dtype)
    return np.linalg.solve(_op_np(t, trans), b)


def _triangular_xp(xp, a, b, *, trans, lower, unit_diagonal):
    n = a.shape[-1]
    if not unit_diagonal:
        _nonsingular(a, xp)
    k = -1 if unit_diagonal else 0
    t = xp.tril(a, k=k) if lower else xp.triu(a, k=-k)
    if unit_diagonal:
        t = t + xp.eye(n, dtype=t.dtype, device=backend.device(a))
    return xp.linalg.solve(_op_np(t, trans, xp), b)


def _tri(a, b, trans, lower, unit_diagonal):
    return bind(triangular_p, (a, b), dict(trans=trans, lower=lower,
                                           unit_diagonal=unit_diagonal))


def _op(x, trans):
    return x if trans == 0 else _mT(x) if trans == 1 else _H(x)


def _transposed(g, a, trans, lower, unit_diagonal):
    """op(A)^-T g."""
    if trans == 2:
        return _cj(_tri(a, _cj(g), 0, lower, unit_diagonal))
    return _tri(a, g, 1 - trans, lower, unit_diagonal)


def _masked(x, a, lower, unit_diagonal):
    k = 1 if unit_diagonal else 0
    return dnp.tril(x, -k) if lower else dnp.triu(x, k)


def _tri_jvp_a(a_dot, ans, a, b, *, trans, lower, unit_diagonal):
    d = _op(_masked(a_dot, a, lower, unit_diagonal), trans)
    return negative(_tri(a, matmul(d, ans), trans, lower, unit_diagonal))


def _tri_jvp_b(b_dot, ans, a, b, *, trans, lower, unit_diagonal):
    return _tri(a, b_dot, trans, lower, unit_diagonal)


def _tri_vjp_a(g, ans, a, b, *, trans, lower, unit_diagonal):
    z = matmul(_transposed(g, a, trans, lower, unit_diagonal), _mT(ans))
    return negative(_masked(_op(z, trans), a, lower, unit_diagonal))


def _tri_vjp_b(g, ans, a, b, *, trans, lower, unit_diagonal):
    return _transposed(g, a, trans, lower, unit_diagonal)


triangular_p = _rebinding("scipy.linalg.solve_triangular", _triangular_np,
                          jvp=(_tri_jvp_a, _tri_jvp_b), vjp=(_tri_vjp_a, _tri_vjp_b),
                          xp=_triangular_xp)


def _as_float(x):
    x = np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """Differentiable ``scipy.linalg.solve_triangular``: x with ``op(a) @ x == b``, op
    the identity, transpose or conjugate transpose for trans 0/'N', 1/'T', 2/'C'; only
    a's lower (``lower=True``) or upper triangle is read (its diagonal taken as ones with
    ``unit_diagonal``), and only that triangle gets a derivative.  a is (..., N, N), b
    (N,) or (..., N, K), leading axes broadcast (as jax.scipy.linalg; SciPy takes 2-d a).
    A zero on the diagonal raises LinAlgError; overwrite_b is ignored.

        >>> solve_triangular(np.array([[2.0, 1.0], [0.0, 4.0]]), np.array([3.0, 4.0]))
        array([1., 1.])
    """
    t = _trans(trans)
    lower, unit_diagonal = bool(lower), bool(unit_diagonal)
    if plain(a) and plain(b):
        try:
            a, b = _as_float(a), _as_float(b)
        except CONVERSION_ERRORS:
            pass
        else:
            if check_finite and not (np.isfinite(a).all() and np.isfinite(b).all()):
                raise ValueError("array must not contain infs or NaNs")
            if a.ndim == 2 and b.ndim in (1, 2) and a.shape[0] == a.shape[1] == b.shape[0]:
                return _triangular_np(a, b, trans=t, lower=lower, unit_diagonal=unit_diagonal)
    a, b = _decomp._arg(a), _decomp._arg(b)
    sa, sb = _shape(a), _shape(b)
    if len(sa) < 2 or sa[-1] != sa[-2]:
        raise ValueError(f"solve_triangular: expected square matrix (..., N, N), got a of "
                         f"shape {sa}")
    _decomp._check_dtype(a)
    n = sa[-1]
    vector = len(sb) == 1
    if vector:
        b = reshape(b, (n, 1))
        sb = (n, 1)
    if len(sb) < 2 or sb[-2] != n:
        raise ValueError(f"solve_triangular: shapes of a {sa} and b {_shape(b)} are "
                         f"incompatible")
    try:
        batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise ValueError(f"solve_triangular: the leading (batch) dimensions of a {sa} and "
                         f"b {sb} do not broadcast") from None
    if sa[:-2] != batch:
        a = broadcast_to(a, batch + sa[-2:])
    if sb[:-2] != batch:
        b = broadcast_to(b, batch + sb[-2:])
    x = _tri(a, b, t, lower, unit_diagonal)
    return reshape(x, batch + (n,)) if vector else x


# ---------------------------------------------------------------- cholesky, cho_factor, cho_solve

def _cholesky_np(a, lower=False, overwrite_a=False, check_finite=True):
    a = _as_float(a)
    if check_finite and not np.isfinite(a).all():
        raise ValueError("array must not contain infs or NaNs")
    return np.linalg.cholesky(a, upper=not lower)


@composite(_cholesky_np, "scipy.linalg.cholesky")
def cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """Differentiable ``scipy.linalg.cholesky``: the UPPER factor U with ``a = U^H U`` by
    default (SciPy's default, unlike numpy.linalg), the lower one with ``lower=True``;
    LinAlgError if a is not positive definite.  Only the triangle of a that SciPy reads
    (the upper one by default) enters the value; derivatives treat a as Hermitian (its
    Hermitian part), as JAX.

        >>> cholesky(np.array([[4.0, 2.0], [2.0, 5.0]]))
        array([[2., 1.],
               [0., 2.]])
    """
    if lower:
        return dnp.linalg.cholesky(a)
    return _H(dnp.linalg.cholesky(_H(a)))


def _cho_factor_np(a, lower=False, overwrite_a=False, check_finite=True):
    return _cholesky_np(a, lower, check_finite=check_finite), bool(lower)


@composite(_cho_factor_np, "scipy.linalg.cho_factor")
def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """Differentiable ``scipy.linalg.cho_factor``: ``(c, lower)`` for ``cho_solve``, c the
    Cholesky factor (lower or upper).  Unlike SciPy (and as JAX), c's other triangle is
    zero, not a's entries.

        >>> c, low = cho_factor(np.array([[4.0, 2.0], [2.0, 5.0]]), lower=True)
        >>> c
        array([[2., 0.],
               [1., 2.]])
    """
    return cholesky(a, lower=lower), bool(lower)


def _cho_solve_np(c_and_lower, b, overwrite_b=False, check_finite=True):
    c, lower = c_and_lower
    c, b = _as_float(c), _as_float(b)
    if _scipy is not None and c.ndim == 2 and b.ndim in (1, 2):
        return _scipy.cho_solve((c, lower), b, check_finite=check_finite)
    return cho_solve.composite.definition((c, lower), b, check_finite=check_finite)


@composite(_cho_solve_np, "scipy.linalg.cho_solve")
def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """Differentiable ``scipy.linalg.cho_solve``: x with ``a @ x == b`` from
    ``(c, lower) = cho_factor(a)``; two triangular solves, differentiable in c (its
    triangle) and b.

        >>> cho_solve(cho_factor(np.array([[4.0, 2.0], [2.0, 5.0]])), np.array([6.0, 7.0]))
        array([1., 1.])
    """
    c, lower = c_and_lower
    kw = dict(lower=lower, check_finite=check_finite)
    if lower:
        return solve_triangular(c, solve_triangular(c, b, **kw), trans=2, **kw)
    return solve_triangular(c, solve_triangular(c, b, trans=2, **kw), **kw)


# ---------------------------------------------------------------- block_diag

def _block_diag_np(*arrs):
    if _scipy is not None:
        return _scipy.block_diag(*arrs)
    return block_diag.composite.definition(*arrs)


@composite(_block_diag_np, "scipy.linalg.block_diag")
def block_diag(*arrs):
    """Differentiable ``scipy.linalg.block_diag``: the arrays (0-d, 1-d taken as one row,
    or 2-d) as the blocks of a block-diagonal matrix; arrays of more dimensions are
    stacks of blocks whose leading axes broadcast (as SciPy's; JAX takes 2-d blocks).

        >>> block_diag(np.ones((1, 2)), 2.0)
        array([[1., 1., 0.],
               [0., 0., 2.]])
    """
    if not arrs:
        return np.zeros((1, 0))
    blocks = [dnp.atleast_2d(a) for a in arrs]
    batch = np.broadcast_shapes(*(_shape(blk)[:-2] for blk in blocks))
    blocks = [blk if _shape(blk)[:-2] == batch else broadcast_to(blk, batch + _shape(blk)[-2:])
              for blk in blocks]
    cols = [_shape(blk)[-1] for blk in blocks]
    total, start, rows = sum(cols), 0, []
    for blk, c in zip(blocks, cols):
        rows.append(dnp.pad(blk, ((0, 0),) * (len(batch) + 1) + ((start, total - start - c),)))
        start += c
    return dnp.concatenate(rows, axis=-2)


# ---------------------------------------------------------------- solve, inv, det

def _finite(*xs):
    for x in xs:
        if not np.isfinite(x).all():
            raise ValueError("array must not contain infs or NaNs")


def _solve_np(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
              assume_a=None, transposed=False):
    if _scipy is not None and np.ndim(a) == 2:
        return _scipy.solve(a, b, lower=lower, check_finite=check_finite,
                            assume_a=assume_a, transposed=transposed)
    return solve.composite.definition(a, b, lower, check_finite=check_finite,
                                      assume_a=assume_a, transposed=transposed)


@composite(_solve_np, "scipy.linalg.solve")
def solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
          assume_a=None, transposed=False):
    """Differentiable ``scipy.linalg.solve``: x with ``a @ x == b`` (``a^T @ x == b`` with
    ``transposed``).  Traced calls solve the general system whatever assume_a says: the
    same values for inputs that have the assumed structure, and, as JAX's, derivatives
    with respect to the whole matrix (not only the triangle SciPy reads for
    ``assume_a="pos"``).

        >>> solve(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([2.0, 4.0]))
        array([1., 1.])
    """
    if transposed:
        a = _mT(a)
    return dnp.linalg.solve(a, b)


def _inv_np(a, overwrite_a=False, check_finite=True):
    if check_finite:
        _finite(a)
    return np.linalg.inv(a)


@composite(_inv_np, "scipy.linalg.inv")
def inv(a, overwrite_a=False, check_finite=True):
    """Differentiable ``scipy.linalg.inv``; LinAlgError for a singular matrix.

        >>> inv(np.diag([2.0, 4.0]))
        array([[0.5 , 0.  ],
               [0.  , 0.25]])
    """
    return dnp.linalg.inv(a)


def _det_np(a, overwrite_a=False, check_finite=True):
    if check_finite:
        _finite(a)
    return np.linalg.det(a)


@composite(_det_np, "scipy.linalg.det")
def det(a, overwrite_a=False, check_finite=True):
    """Differentiable ``scipy.linalg.det`` (batched over leading axes).

        >>> det(np.diag([2.0, 4.0]))
        8.0
    """
    return dnp.linalg.det(a)


# ---------------------------------------------------------------- lu_factor, lu_solve
#
# P A = L U (L unit lower, U upper, packed in one matrix lu).  With F = L^-1 P dA U^-1:
# dL = L tril(F, -1), dU = triu(F) U; the adjoint maps G to
# P^T L^-T (tril(L^T tril(G, -1), -1) + triu(triu(G) U^T)) U^-T.

def _lu_np(a):
    """NumPy's partial-pivoting LU of one square matrix: (lu, piv) as LAPACK's getrf (whose
    pivot is the entry of largest |re| + |im|)."""
    lu = np.array(a, dtype=np.result_type(a, np.float32 if a.dtype == np.float32 else 0.0))
    n = lu.shape[0]
    piv = np.zeros(n, dtype=np.int32)
    for k in range(n):
        col = lu[k:, k]
        p = k + int(np.argmax(np.abs(col.real) + np.abs(col.imag)))
        piv[k] = p
        if p != k:
            lu[[k, p]] = lu[[p, k]]
        if lu[k, k] != 0:
            lu[k + 1:, k] /= lu[k, k]
            lu[k + 1:, k + 1:] -= np.outer(lu[k + 1:, k], lu[k, k + 1:])
    return lu, piv


def _lu_factor_np(a, overwrite_a=False, check_finite=True):
    a = _as_float(a)
    if check_finite:
        _finite(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"lu_factor: expected square matrix (..., N, N), got shape {a.shape}")
    if _scipy is not None and a.ndim == 2:
        return _scipy.lu_factor(a, check_finite=False)
    flat = a.reshape((-1,) + a.shape[-2:])
    parts = [_lu_np(m) for m in flat]
    return (np.stack([p[0] for p in parts]).reshape(a.shape),
            np.stack([p[1] for p in parts]).reshape(a.shape[:-1]))


def _permutation(piv):
    """perm with ``(P a) == a[perm]`` from LAPACK's row interchanges piv (..., n)."""
    piv = np.asarray(piv)
    flat = piv.reshape(-1, piv.shape[-1])
    perm = np.empty_like(flat)
    for j, row in enumerate(flat):
        p = np.arange(len(row))
        for i, k in enumerate(row):
            p[i], p[k] = p[k], p[i]
        perm[j] = p
    return perm.reshape(piv.shape)


def _pivots_np(a):
    return _lu_factor_np(a, check_finite=False)[1]


_pivots = nondiff(_pivots_np, "lu_pivots")
_perm = nondiff(_permutation, "lu_permutation")


def _rows(x, perm):
    """x (..., n, k) with its rows taken in the order perm (..., n)."""
    return dnp.take_along_axis(x, perm[..., None], axis=-2)


def _lu_jvp(x_dot, ans, x):
    f = _tri(ans, x_dot, 0, True, True)
    f = _mT(_tri(ans, _mT(f), 1, False, False))
    eye = _const(np.eye(_shape(ans)[-1]), ans)
    low = dnp.tril(ans, -1) + eye
    return matmul(low, dnp.tril(f, -1)) + matmul(dnp.triu(f), dnp.triu(ans))


def _lu_vjp(g, ans, x):
    eye = _const(np.eye(_shape(ans)[-1]), ans)
    low = dnp.tril(ans, -1) + eye
    h = dnp.tril(matmul(_mT(low), dnp.tril(g, -1)), -1) + dnp.triu(
        matmul(dnp.triu(g), _mT(dnp.triu(ans))))
    h = _tri(ans, h, 1, True, True)
    return _mT(_tri(ans, _mT(h), 0, False, False))


def _lu_nopivot_np(x):
    return _lu_factor_np(x, check_finite=False)[0]


def _lu_nopivot_xp(xp, x):
    raise NotImplementedError("scipy.linalg.lu_factor computes on NumPy arrays only")


lu_p = _rebinding("scipy.linalg.lu_factor", _lu_nopivot_np, jvp=(_lu_jvp,), vjp=(_lu_vjp,),
                  xp=_lu_nopivot_xp)


def lu_factor(a, overwrite_a=False, check_finite=True):
    """Differentiable ``scipy.linalg.lu_factor`` of square matrices (batched over leading
    axes as jax.scipy.linalg): ``(lu, piv)`` with ``P a = L U`` packed in lu (L's unit
    diagonal left out) and piv LAPACK's row interchanges (int32, no derivative).
    NumPy's partial pivoting computes it where SciPy is absent.

        >>> lu, piv = lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> piv
        array([1, 1], dtype=int32)
    """
    if plain(a):
        try:
            return _lu_factor_np(a, check_finite=check_finite)
        except CONVERSION_ERRORS:
            pass
    a = _decomp._arg(a)
    sa = _shape(a)
    if len(sa) < 2 or sa[-1] != sa[-2]:
        raise ValueError(f"lu_factor: expected square matrix (..., N, N), got shape {sa}")
    _decomp._check_dtype(a)
    piv = _pivots(a)
    return bind(lu_p, (_rows(a, _perm(piv)),)), piv


def _lu_solve_np(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    lu, piv = lu_and_piv
    if _scipy is not None and np.ndim(lu) == 2 and np.ndim(b) in (1, 2):
        return _scipy.lu_solve((lu, piv), b, trans=trans, check_finite=check_finite)
    return lu_solve.composite.definition((lu, piv), b, trans)


@composite(_lu_solve_np, "scipy.linalg.lu_solve")
def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """Differentiable ``scipy.linalg.lu_solve``: x with ``op(a) @ x == b`` from
    ``lu_factor(a)``, op as ``solve_triangular``'s trans; differentiable in lu and b.

        >>> lu_solve(lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]])), np.array([3.0, 7.0]))
        array([1., 1.])
    """
    lu, piv = lu_and_piv
    t = _trans(trans)
    perm = _perm(piv)
    sb = _shape(b)
    vector = len(sb) == 1
    if vector:
        b = reshape(b, sb + (1,))
    sb, batch = _shape(b), _shape(lu)[:-2]
    if len(sb) - 2 < len(batch):
        b = broadcast_to(b, np.broadcast_shapes(batch, sb[:-2]) + sb[-2:])
    if t == 0:
        x = solve_triangular(lu, _rows(b, perm), lower=True, unit_diagonal=True,
                             check_finite=False)
        x = solve_triangular(lu, x, check_finite=False)
    else:
        x = solve_triangular(lu, b, trans=t, check_finite=False)
        x = solve_triangular(lu, x, trans=t, lower=True, unit_diagonal=True,
                             check_finite=False)
        x = _rows(x, dnp.argsort(perm, axis=-1))
    return reshape(x, _shape(x)[:-1]) if vector else x


# ---------------------------------------------------------------- expm
#
# Pade(13) with scaling and squaring (Higham 2005).  The Frechet derivative is the top
# right block of expm([[A, E], [0, A]]) (Mathias 1996); its transpose is L(A^T, G).

_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0,
           1187353796428800.0, 129060195264000.0, 10559470521600.0, 670442572800.0,
           33522128640.0, 1323241920.0, 40840800.0, 960960.0, 16380.0, 182.0, 1.0)
_THETA13 = 5.371920351148152


def _expm_pade(xp, a):
    n = a.shape[-1]
    if n == 0:
        return a
    norm = float(xp.max(xp.sum(xp.abs(a), axis=-2))) if a.ndim > 0 else 0.0
    if not np.isfinite(norm):
        raise ValueError("expm: array must not contain infs or NaNs")
    s = max(0, int(np.ceil(np.log2(norm / _THETA13)))) if norm > 0 else 0
    a = a / (2.0 ** s)
    b = _PADE13
    eye = xp.eye(n, dtype=a.dtype) if xp is np else xp.eye(n, dtype=a.dtype,
                                                             device=backend.device(a))
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4
             + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * eye
    r = xp.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


def _expm_np(a):
    if _scipy is not None:
        return _scipy.expm(a)
    return _expm_pade(np, a)


def _frechet(a, e):
    """L(a, e): the derivative of expm at a in the direction e."""
    n = _shape(a)[-1]
    z = dnp.zeros_like(a)
    big = dnp.concatenate([dnp.concatenate([a, e], axis=-1),
                           dnp.concatenate([z, a], axis=-1)], axis=-2)
    return getitem(bind(expm_p, (big,)), (Ellipsis, slice(0, n), slice(n, 2 * n)))


expm_p = _rebinding("scipy.linalg.expm", _expm_np,
                    jvp=(lambda a_dot, ans, a: _frechet(a, a_dot),),
                    vjp=(lambda g, ans, a: _frechet(_mT(a), g),),
                    xp=_expm_pade)


def expm(A, *, upper_triangular=False, max_squarings=16):
    """Differentiable ``scipy.linalg.expm``: the matrix exponential of A (..., N, N), by
    Pade approximation with scaling and squaring (SciPy's where installed); its
    derivative is the Frechet derivative, itself an expm of a block matrix, so every
    order works.  ``upper_triangular`` and ``max_squarings`` (jax.scipy.linalg's) are
    accepted and ignored: the squarings are as many as the norm of A needs.

        >>> expm(np.zeros((2, 2)))
        array([[1., 0.],
               [0., 1.]])
    """
    return _square_function(A, "expm", _expm_np, expm_p)


def _square_function(A, name, np_impl, prim):
    """prim of the square matrices A (..., N, N): np_impl at once on NumPy values, else
    the primitive; a ValueError naming ``name`` for any other shape."""
    if plain(A):
        try:
            a = _as_float(A)
        except CONVERSION_ERRORS:
            pass
        else:
            _check_square(a.shape, name)
            return np_impl(a)
    a = _decomp._arg(A)
    _check_square(_shape(a), name)
    _decomp._check_dtype(a)
    return bind(prim, (a,))


def _check_square(shape, name):
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ValueError(f"{name}: expected a square matrix (..., N, N), got shape "
                         f"{tuple(shape)}")


# ---------------------------------------------------------------- sqrtm
#
# dX solves the Sylvester equation X dX + dX X = dA: with X = V diag(s) V^-1,
# V^-1 dX V = (V^-1 dA V) / (s_i + s_j).  Its transpose is the same solve with X^T
# (whose eigenvectors are V^-T).

def _sqrtm_eig(a):
    w, v = np.linalg.eig(a)
    r = v @ (np.sqrt(w.astype(np.result_type(w, 1j)))[..., None] * np.linalg.inv(v))
    if not np.iscomplexobj(a):
        scale = max(np.abs(r).max(initial=0.0), 1.0)
        if np.abs(r.imag).max(initial=0.0) <= 1e3 * np.finfo(a.dtype).eps * scale:
            r = r.real
    return r.astype(np.result_type(r, a), copy=False)


def _sqrtm_np(a):
    if _scipy is not None:
        return _scipy.sqrtm(a)
    return _sqrtm_eig(a)


def _sylvester(x, c):
    """y with ``x y + y x == c``."""
    w, v = dnp.linalg.eig(x)
    vi = dnp.linalg.inv(v)
    y = matmul(matmul(v, matmul(matmul(vi, c), v) / (w[..., :, None] + w[..., None, :])), vi)
    return y if _decomp._cplx(x) or _decomp._cplx(c) else dnp.real(y)


def _sqrtm_xp(xp, a):
    raise NotImplementedError("scipy.linalg.sqrtm computes on NumPy arrays only")


sqrtm_p = _rebinding("scipy.linalg.sqrtm", _sqrtm_np,
                     jvp=(lambda a_dot, ans, a: _sylvester(ans, a_dot),),
                     vjp=(lambda g, ans, a: _sylvester(_mT(ans), g),),
                     xp=_sqrtm_xp)


def sqrtm(A, disp=True, blocksize=64):
    """Differentiable ``scipy.linalg.sqrtm``: the principal square root X of A
    (``X @ X == A``), complex where A (real) has eigenvalues on the negative axis, as
    SciPy's.  Derivatives solve the Sylvester equation ``X dX + dX X = dA`` through an
    eigendecomposition of X (so A must be diagonalisable there; JAX does not
    differentiate sqrtm).  NumPy's eig computes it without SciPy.  With ``disp=False``
    (deprecated in SciPy) the result is ``(X, errest)`` as SciPy's, errest =
    ``||X @ X - A||_F**2 / ||A||_F`` a constant (one per matrix of a stack); blocksize
    is ignored.

        >>> sqrtm(np.array([[4.0, 0.0], [0.0, 9.0]]))
        array([[2., 0.],
               [0., 3.]])
    """
    x = _sqrtm(A)
    if disp is False:
        r, a = strip(x), strip(A)
        d = dnp.matmul(r, r) - a
        err = dnp.sum(dnp.abs(d) ** 2, axis=(-2, -1)) / dnp.sqrt(
            dnp.sum(dnp.abs(a) ** 2, axis=(-2, -1)))
        return x, err
    return x


def _sqrtm(A):
    return _square_function(A, "sqrtm", _sqrtm_np, sqrtm_p)
