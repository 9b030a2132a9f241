"""dualrev: forward-plus-reverse mode automatic differentiation over NumPy.

Dual numbers give forward mode, a tape gives reverse mode, and one
functional API sits on both::

    import dualrev
    import dualrev.numpy as dnp

    dualrev.grad(lambda x: dnp.sum(dnp.sin(x) ** 2))(np.ones(3))
"""
import numpy as _np

from . import numpy  # noqa: F401  (defines the primitives first)
from .api import (float0, grad, hessian, hvp, jacfwd, jacrev, jvp, linearize, make_tape,  # noqa: F401
                  stop_gradient, value_and_grad, vjp)
from .batching import vmap  # noqa: F401
from .custom import custom_jvp, custom_vjp  # noqa: F401
from .debug import config, debug_nans  # noqa: F401
from .checkpointing import checkpoint, checkpoint_name, checkpoint_policies, remat  # noqa: F401
from .sparsity import (hessian_sparsity, jacobian_sparsity, sparse_hessian,  # noqa: F401
                       sparse_jacobian)
from . import sparsity  # noqa: F401
from .core import EscapedTracerError, Primitive, Tracer, registry  # noqa: F401
from .forward import Dual, dual  # noqa: F401
from .reverse import Tape, Var  # noqa: F401
from .tree import tree_flatten, tree_leaves, tree_map, tree_unflatten  # noqa: F401
from . import testing  # noqa: F401
from .tensor import (Size, Tensor, enable_grad, inference_mode, is_grad_enabled, no_grad,  # noqa: F401
                     set_grad_enabled)
from .ops import (abs, add, allclose, amax, amin, arange, argmax, argmin,  # noqa: F401,A004
                  as_tensor, cat, clamp, clip, concatenate, cos, div, empty, empty_like, equal,
                  exp, eye, flatten, from_numpy, full, full_like, get_default_dtype, is_tensor,
                  linspace, log, log_softmax, manual_seed, matmul, max, maximum, mean, min,
                  minimum, mm, mul, neg, norm, numel, ones, ones_like, permute, pow, prod, rand,
                  rand_like, randint, randn, randn_like, randperm, relu, reshape,
                  set_default_dtype, sigmoid, sin, softmax, sqrt, square, squeeze, stack, sub,
                  sum, t, tan, tanh, tensor, transpose, unsqueeze, where, zeros, zeros_like)
from .ops import angle, conj, imag, is_complex, is_floating_point, real  # noqa: F401
from .ops import (acos, acosh, addcdiv, addcmul, aminmax, arccos, arccosh, arcsin,  # noqa: F401,A004
                  arcsinh, arctan, arctan2, arctanh, argsort, asin, asinh, atan, atan2, atanh,
                  atleast_1d, atleast_2d, atleast_3d, block_diag, broadcast_tensors,
                  broadcast_to, cartesian_prod, cdist, ceil, chunk, cosh, cross, cummax, cummin,
                  cumprod, cumsum, diag, diagonal, diff, digamma, dot, einsum, erf, erfc, erfinv,
                  exp2, expm1, fix, flip, fliplr, flipud, floor, frac, gather, ger, hypot, i0,
                  index_select, inner, kron, lerp, lgamma, log10, log1p, log2, logaddexp,
                  logcumsumexp, logsumexp, masked_fill, median, meshgrid, movedim, moveaxis,
                  nanmean, nanquantile, nansum, narrow, outer, polygamma, quantile, reciprocal,
                  repeat_interleave, roll, round, rsqrt, scatter, scatter_add, sign, sinc, sinh,
                  sort, split, std, std_mean, take, tensor_split, tensordot, tile, topk, trace,
                  tril, triu, trunc, unbind, unflatten, var, var_mean, vdot)
from . import autograd, nn, optim  # noqa: F401,E402
from . import lax  # noqa: F401,E402
from . import utils  # noqa: F401,E402
from . import cuda  # noqa: F401,E402
from .devices import device  # noqa: F401,E402

float16, float32, float64 = _np.dtype("float16"), _np.dtype("float32"), _np.dtype("float64")
int32, int64, bool = _np.dtype("int32"), _np.dtype("int64"), _np.dtype("bool")  # noqa: A001
half, float, double, long = float16, float32, float64, int64  # noqa: A001
complex64, complex128 = _np.dtype("complex64"), _np.dtype("complex128")
cfloat, cdouble = complex64, complex128

__version__ = "0.1.0"


def __getattr__(name):
    # PyTorch's torch.linalg, torch.fft and torch.special names, imported on first use
    if name in ("linalg", "fft", "special"):
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
