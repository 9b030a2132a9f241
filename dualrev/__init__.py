"""dualrev: forward-plus-reverse mode automatic differentiation over NumPy.

Dual numbers give forward mode, a tape gives reverse mode, and one
functional API sits on both::

    import dualrev
    import dualrev.numpy as dnp

    dualrev.grad(lambda x: dnp.sum(dnp.sin(x) ** 2))(np.ones(3))
"""
from . import numpy  # noqa: F401  (defines the primitives first)
from .api import (grad, hessian, hvp, jacfwd, jacrev, jvp, linearize, make_tape,  # noqa: F401
                  stop_gradient, value_and_grad, vjp)
from .core import EscapedTracerError, Primitive, Tracer, registry  # noqa: F401
from .forward import Dual, dual  # noqa: F401
from .reverse import Tape, Var  # noqa: F401
from .tree import tree_flatten, tree_leaves, tree_map, tree_unflatten  # noqa: F401
from . import testing  # noqa: F401

__version__ = "0.1.0"
