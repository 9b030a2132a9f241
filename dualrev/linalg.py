"""PyTorch's ``torch.linalg`` on Tensors: the functions of ``dualrev.numpy.linalg`` under
PyTorch's names, signatures and result types (``svd`` returns ``(U, S, Vh)``, ``eigh``
takes ``UPLO=``, ``solve`` takes ``left=``...).  Results are Tensors; every function is
recorded by the imperative graph (and by the functional transformations).

    >>> A = dualrev.tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    >>> dualrev.linalg.det(A).backward()
    >>> A.grad                       # det(A) * inv(A).T
    tensor([[ 3., -1.],
            [-1.,  2.]])
"""
import collections

import numpy as np

from . import devices as _devices, numpy as dnp
from .core import strip
from .numpy import linalg as _la
from .tensor import Tensor, _plain_arg, _wrap

__all__ = ["inv", "solve", "det", "slogdet", "cholesky", "eigh", "eigvalsh", "eig", "eigvals",
           "svd", "svdvals", "qr", "norm", "vector_norm", "matrix_norm", "cond", "pinv",
           "lstsq", "matrix_power", "multi_dot", "cross", "vecdot", "matrix_rank",
           "tensordot", "LinAlgError"]

LinAlgError = np.linalg.LinAlgError

_slogdet = collections.namedtuple("linalg_slogdet", ["sign", "logabsdet"])
_eigh = collections.namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
_eig = collections.namedtuple("linalg_eig", ["eigenvalues", "eigenvectors"])
_svd = collections.namedtuple("linalg_svd", ["U", "S", "Vh"])
_qr = collections.namedtuple("linalg_qr", ["Q", "R"])
_lstsq = collections.namedtuple("linalg_lstsq",
                                ["solution", "residuals", "rank", "singular_values"])


def _t(x):
    return x if isinstance(x, Tensor) else _wrap(np.asarray(x))


def _square(A, name):
    A = _t(A)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    return A


def _mT(x):
    return x.transpose(-2, -1)


def _mH(x):
    return _mT(x).conj()


def inv(A):
    """The inverse of each square matrix in A (...,n,n)."""
    return _la.inv(_square(A, "inv"))


def solve(A, B, *, left=True):
    """X with A X = B (``left=False``: X A = B).  B is a batch of vectors when it is 1-d
    or has A's shape less the last dimension, else a batch of matrices (as PyTorch)."""
    A, B = _square(A, "solve"), _t(B)
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if not left:
        if vector:
            return solve(_mT(A), B)
        return _mT(solve(_mT(A), _mT(B)))
    if vector:
        shape = np.broadcast_shapes(tuple(A.shape[:-1]), tuple(B.shape))
        Ab = A.expand(shape[:-1] + tuple(A.shape[-2:]))
        return _la.solve(Ab, B.expand(shape).unsqueeze(-1))[..., 0]
    shape = np.broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    return _la.solve(A.expand(shape + tuple(A.shape[-2:])),
                     B.expand(shape + tuple(B.shape[-2:])))


def det(A):
    """The determinant of each square matrix."""
    return _la.det(_square(A, "det"))


def slogdet(A):
    """``(sign, logabsdet)`` of each square matrix (``sign`` on the unit circle for
    complex A; 0 with logabsdet -inf for singular A)."""
    sign, logabsdet = _la.slogdet(_square(A, "slogdet"))
    return _slogdet(_t(sign), _t(logabsdet))


def cholesky(A, *, upper=False):
    """L with A = L L^H (``upper=True``: U = L^H, A = U^H U)."""
    L = _la.cholesky(_square(A, "cholesky"))
    return _mH(L) if upper else L


def eigh(A, UPLO="L"):
    """``(eigenvalues, eigenvectors)`` of Hermitian A (from its lower triangle, or upper
    with ``UPLO='U'``), eigenvalues ascending."""
    w, v = _la.eigh(_square(A, "eigh"), UPLO=_uplo(UPLO))
    return _eigh(_t(w), _t(v))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of Hermitian A, ascending."""
    return _la.eigvalsh(_square(A, "eigvalsh"), UPLO=_uplo(UPLO))


def _uplo(UPLO):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO


def _complex(x):
    x = _t(x)
    if x.dtype.kind == "c":
        return x
    return x.type(np.complex64 if x.dtype == np.float32 else np.complex128)


def eig(A):
    """``(eigenvalues, eigenvectors)`` of a square matrix, always complex (as PyTorch)."""
    w, v = _la.eig(_square(A, "eig"))
    return _eig(_complex(w), _complex(v))


def eigvals(A):
    """The eigenvalues of a square matrix, always complex."""
    return _complex(_la.eigvals(_square(A, "eigvals")))


def svd(A, full_matrices=True):
    """``(U, S, Vh)`` with A = U diag(S) Vh, S descending."""
    A = _t(A)
    U, S, Vh = _la.svd(A, full_matrices=full_matrices)
    return _svd(_t(U), _t(S), _t(Vh))


def svdvals(A):
    """The singular values, descending."""
    return _la.svdvals(_t(A))


def qr(A, mode="reduced"):
    """``(Q, R)`` with A = Q R (``mode`` 'reduced', 'complete' or 'r', which gives an empty
    Q)."""
    A = _t(A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           f"'reduced' (default), 'r', or 'complete'")
    if mode == "r":
        return _qr(_wrap(np.zeros((0,), A.dtype)), _t(_la.qr(A, mode="r")))
    Q, R = _la.qr(A, mode=mode)
    return _qr(_t(Q), _t(R))


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse (singular values at most max(atol, rtol * the
    largest) are treated as 0; ``rtol`` defaults to eps * max(m, n) when ``atol`` is
    None, else 0)."""
    A = _t(A)
    if atol is None and rtol is None:
        return _la.pinv(A, hermitian=hermitian, rtol=_eps_rtol(A))
    s = np.linalg.svd(_devices.host(strip(A._value)), compute_uv=False)
    smax = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    tol = np.maximum(0.0 if atol is None else _plain_arg(atol),
                     (0.0 if rtol is None else _plain_arg(rtol)) * smax[..., 0])
    rel = np.where(smax[..., 0] > 0, tol / np.where(smax[..., 0] > 0, smax[..., 0], 1), 0)
    return _la.pinv(A, hermitian=hermitian, rtol=rel)


def _eps_rtol(A):
    return np.finfo(A.dtype).eps * max(A.shape[-2:])


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution of A X = B: ``(solution, residuals, rank,
    singular_values)``.  Unlike PyTorch's default CPU driver (which leaves them empty),
    ``residuals`` (for m > n at full rank) and ``singular_values`` are filled, as with
    PyTorch's 'gelsd' driver."""
    A, B = _t(A), _t(B)
    if A.ndim != 2 or B.ndim not in (1, 2):
        raise NotImplementedError("linalg.lstsq: only one matrix A (m, n) and B (m,) or "
                                  "(m, k) are supported")
    if rcond is None:
        rcond = _eps_rtol(A)
    x, res, rank, sv = _la.lstsq(A, B, rcond=rcond)
    return _lstsq(_t(x), _t(res), _t(np.asarray(rank, np.int64)), _t(sv))


def matrix_power(A, n):
    """A multiplied by itself n times (n < 0: the inverse's power; n = 0: the identity)."""
    A = _square(A, "matrix_power")
    n = int(n)
    if n == 0:
        return _wrap(np.broadcast_to(np.eye(A.shape[-1], dtype=A.dtype), tuple(A.shape)).copy())
    if n < 0:
        A, n = inv(A), -n
    result, base = None, A
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


def multi_dot(tensors):
    """The product of the matrices, left to right; the first may be 1-d (a row) and the
    last 1-d (a column)."""
    ts = [_t(x) for x in tensors]
    if len(ts) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}")
    for i, x in enumerate(ts):
        if x.ndim != 2 and not (x.ndim == 1 and i in (0, len(ts) - 1)):
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {x.ndim}D")
    out = ts[0]
    for x in ts[1:]:
        out = out @ x
    return out


def cross(input, other, *, dim=-1):
    """The cross product along ``dim`` (of size 3)."""
    return _t(input).cross(other, dim)


def vecdot(x, y, *, dim=-1):
    """The dot product along ``dim``, conjugating x: sum(conj(x) * y, dim)."""
    x, y = _t(x), _t(y)
    return (x.conj() * y).sum(dim)


def tensordot(a, b, dims=2):
    from .ops import tensordot as td
    return td(a, b, dims)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values above max(atol, rtol * the largest) (``rtol``
    eps * max(m, n) when neither is given); an int64 tensor, not differentiable."""
    A = _t(A)
    x = _devices.host(strip(A._value))
    s = np.abs(np.linalg.eigvalsh(x)) if hermitian else np.linalg.svd(x, compute_uv=False)
    if hermitian:
        s = np.sort(s, axis=-1)[..., ::-1]
    smax = s[..., 0] if s.shape[-1] else np.zeros(s.shape[:-1])
    if atol is None and rtol is None:
        rtol = _eps_rtol(A)
    tol = np.maximum(0.0 if atol is None else _plain_arg(atol),
                     (0.0 if rtol is None else _plain_arg(rtol)) * smax)
    return _wrap(np.sum(s > np.asarray(tol)[..., None], axis=-1).astype(np.int64))


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of x's entries over ``dim`` (all by default).  Its gradient at the
    zero vector is 0 (as PyTorch)."""
    x = _t(x)
    if dtype is not None:
        x = x.type(dtype)
    if dim is None:
        x, dim = x.reshape(-1), 0
        if keepdim:
            raise NotImplementedError("vector_norm: keepdim with dim=None is not supported")
    from .ops import _pnorm
    return _t(_pnorm(x, float(ord), dim if isinstance(dim, int) else tuple(dim), keepdim))


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm over the two dimensions ``dim``: 'fro', 'nuc', inf, -inf, 1, -1, 2,
    -2."""
    A = _t(A)
    if dtype is not None:
        A = A.type(dtype)
    d0, d1 = (int(d) % A.ndim for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        B = A.movedim((d0, d1), (-2, -1))
        s = svdvals(B)
        r = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        return _keep(r, (d0, d1), keepdim)
    if ord in (1, -1, np.inf, -np.inf):
        inner, outer = (d0, d1) if ord in (1, -1) else (d1, d0)
        s = dnp.abs(A).sum(inner, keepdim=True)
        r = s.amax(outer, keepdim=True) if ord > 0 else s.amin(outer, keepdim=True)
        return r if keepdim else r.squeeze((d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def _keep(r, dims, keepdim):
    if not keepdim:
        return r
    for d in sorted(dims):
        r = r.unsqueeze(d)
    return r


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm (1-d, or ``dim`` an int) or a matrix norm (2-d, or ``dim`` a pair);
    with ``ord`` and ``dim`` None, the 2-norm of all the entries."""
    A = _t(A)
    if dim is None and ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim not in (1, 2):
            raise RuntimeError("linalg.norm: If dim is not specified but ord is, the input "
                               "must be 1D or 2D.")
        dim = tuple(range(A.ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) == 1:
        return vector_norm(A, 2 if ord is None else ord, dims[0], keepdim, dtype=dtype)
    return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)


def cond(A, p=None):
    """The condition number in the ``p`` norm (None/2: largest / smallest singular
    value)."""
    A = _t(A)
    if p in (None, 2, -2):
        s = svdvals(A)
        r = s[..., 0] / s[..., -1]
        return r if p != -2 else 1 / r
    return matrix_norm(A, p) * matrix_norm(inv(A), p)
