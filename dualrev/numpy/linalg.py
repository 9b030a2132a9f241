"""dualrev.numpy.linalg: numpy.linalg's functions, differentiable, batched over leading
axes as NumPy's are."""
from ._decomp import *  # noqa: F401,F403
from ._norms import *  # noqa: F401,F403
from . import _decomp, _norms

__all__ = _decomp.__all__ + _norms.__all__
