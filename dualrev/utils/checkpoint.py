"""``utils.checkpoint.checkpoint(fn, *args)``: activation checkpointing for Tensors.

The function's operations are not kept on the graph: the call is recorded as one
operation (an ``autograd.Function``) whose backward runs the function again with
recording on and pulls the gradients back through that recomputation.  Its
inputs are the Tensor arguments and the leaves the function reads otherwise (a
module's parameters): found by a first run recorded on a graph of its own, which
is dropped once the outputs are known.  Gradients are those of ``fn``, with
``backward()`` and ``autograd.grad`` alike, and of every order.
"""
from ..function import Function
from ..graph import graph_var
from ..tensor import Tensor, _wrap, enable_grad, is_grad_enabled


class _Recompute(Function):
    @staticmethod
    def forward(ctx, fn, kwargs, outs, single, nargs, *inputs):
        ctx.fn, ctx.kwargs, ctx.single, ctx.nargs = fn, kwargs, single, nargs
        ctx.inputs = inputs
        res = tuple(_wrap(v) for v in outs)
        return res[0] if single else res

    @staticmethod
    def backward(ctx, *grads):
        args = ctx.inputs[:ctx.nargs]
        with enable_grad():
            out = ctx.fn(*args, **ctx.kwargs)
        outs = (out,) if ctx.single else tuple(out)
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        wanted = [i for i, t in enumerate(ctx.inputs) if isinstance(t, Tensor) and t.requires_grad]
        got = [None] * len(ctx.inputs)
        if pairs and wanted:
            from ..autograd import grad
            gs = grad([o for o, _ in pairs], [ctx.inputs[i] for i in wanted],
                      [g for _, g in pairs], allow_unused=True,
                      create_graph=is_grad_enabled())
            for i, g in zip(wanted, gs):
                got[i] = g
        return (None,) * 5 + tuple(got)


def checkpoint(function, *args, use_reentrant=None, context_fn=None,
               determinism_check="default", debug=False, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, keeping none of its intermediate values for
    backward: they are computed again when backward reaches the call (as
    ``torch.utils.checkpoint.checkpoint``).

    >>> h = checkpoint(block, x)        # block's activations are recomputed in backward
    """
    if not callable(function):
        raise TypeError(f"checkpoint: function must be callable, got {type(function).__name__}")
    if not is_grad_enabled():
        return function(*args, **kwargs)
    # A first run on a graph of its own: the outputs, and the leaves the function reads.
    copies = [a.detach().requires_grad_(a.requires_grad) if isinstance(a, Tensor) else a
              for a in args]
    out = function(*copies, **kwargs)
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    if not all(isinstance(o, Tensor) for o in outs):
        raise TypeError("checkpoint: the function must return a Tensor or a tuple of Tensors")
    leaves = []
    for o in outs:
        v = graph_var(o._value)
        if v is None:
            continue
        for _, leaf, _ in v._trace.inputs:
            if leaf.requires_grad and not any(leaf is c for c in copies) and not any(
                    leaf is t for t in leaves):
                leaves.append(leaf)
    values = [o.detach()._value for o in outs]
    del out, outs
    if not leaves and not any(isinstance(a, Tensor) and a.requires_grad for a in args):
        res = tuple(_wrap(v) for v in values)
        return res[0] if single else res
    return _Recompute.apply(function, kwargs, values, single, len(args), *args, *leaves)


__all__ = ["checkpoint"]
