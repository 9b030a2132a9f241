"""Control flow as ``jax.lax``: scan, fori_loop, while_loop, cond, switch, map, stop_gradient.

Each runs eagerly, one Python iteration per step, and is differentiated like
any other code: forward mode, reverse mode and vmap see the operations of the
steps.  A predicate or index that vmap batches (one per example) runs every
branch, or steps until every example is done, and selects per example, as JAX
does.  ``scan(..., checkpoints=k)`` keeps at most ``k`` carries for the
backward sweep and recomputes the rest (binomial checkpointing, see
``dualrev.remat``).
"""
import numbers

import numpy as np

from . import numpy as dnp
from .api import stop_gradient
from .backend import dtype as _dtype
from .batching import Batched
from .core import Tracer, strip
from .graph import graph_var
from .reverse import Var
from .tree import tree_flatten, tree_map, tree_unflatten

__all__ = ["scan", "fori_loop", "while_loop", "cond", "switch", "map", "stop_gradient"]


def _aval(x):
    """(shape, dtype) of a leaf, None for a Python scalar (weakly typed, as in JAX)."""
    if isinstance(x, (bool, int, float, complex)):
        return None
    return (tuple(np.shape(x)), _dtype(strip(x)) if not isinstance(x, Tracer)
            else x.dtype)


def _fmt(aval):
    shape, dt = aval
    return f"{np.dtype(dt).name}{list(shape)}"


def _check_carry(where, what, init_leaves, init_tree, new):
    """Raise as JAX does when a loop body's carry output differs from its input."""
    leaves, tree = tree_flatten(new)
    if tree != init_tree:
        raise TypeError(
            f"{where} body function carry input and carry output must have the same pytree "
            f"structure, but they differ: the input {what} has structure {init_tree} but the "
            f"output {what} has structure {tree}")
    for i, (a, b) in enumerate(zip(init_leaves, leaves)):
        va, vb = _aval(a), _aval(b)
        if va is None or vb is None:
            continue
        if va[0] != vb[0] or va[1] != vb[1]:
            why = "the shapes do not match" if va[0] != vb[0] else "the dtypes do not match"
            raise TypeError(
                f"{where} body function carry input and carry output must have equal types "
                f"(shapes and dtypes of arrays), but they differ: the input {what} leaf {i} "
                f"has type {_fmt(va)} but the corresponding output {what} leaf has type "
                f"{_fmt(vb)}, so {why}")
    return leaves


def _batched_flag(p):
    """A batched predicate or index (one per example) as its Batched value, else None."""
    v = strip(p)
    return v if isinstance(v, Batched) else None


# ----------------------------------------------------------------------------- scan

def scan(f, init, xs=None, length=None, reverse=False, unroll=1, *, checkpoints=None):
    """Loop ``carry, y = f(carry, x)`` over the leading axis of xs, as ``jax.lax.scan``:
    returns the final carry and the ys stacked.

    ``checkpoints=k`` (beyond JAX): the backward sweep holds at most k carries and
    recomputes the steps between them, the fewest times that allows (Griewank's
    revolve schedule); the derivatives are the same.

    >>> lax.scan(lambda c, x: (c + x, c * x), 0.0, np.arange(4.0))
    """
    if not callable(f):
        raise TypeError(f"scan: f must be callable, got {type(f).__name__}")
    if checkpoints is not None and (not isinstance(checkpoints, numbers.Integral)
                                    or isinstance(checkpoints, bool) or checkpoints < 1):
        raise ValueError(f"scan: checkpoints must be a positive int (the carries the "
                         f"backward sweep may hold), got {checkpoints!r}")
    x_leaves, x_tree = tree_flatten(xs)
    lengths = {int(np.shape(x)[0]) for x in x_leaves if np.ndim(x) > 0}
    if any(np.ndim(x) == 0 for x in x_leaves):
        raise ValueError("scan got value with no leading axis to scan over: every leaf of "
                         "xs must have a leading axis")
    if length is not None:
        if not isinstance(length, numbers.Integral) or length < 0:
            raise ValueError(f"scan: length must be a non-negative int, got {length!r}")
        lengths.add(int(length))
    if len(lengths) > 1:
        raise ValueError(f"scan got values with different leading axis sizes: "
                         f"{sorted(lengths)}")
    if not lengths:
        raise ValueError("scan got no values to scan over and `length` not provided")
    n = lengths.pop()
    init_leaves, init_tree = tree_flatten(init)
    order = range(n - 1, -1, -1) if reverse else range(n)
    rec = None
    keep_at = ()
    if checkpoints is not None and n > 1:
        from . import checkpointing as remat
        rec = remat.Recording(steps=True, slots=int(checkpoints))
        if not rec.tapes:
            rec = None
        else:
            keep_at = frozenset(remat.first_states(n, int(checkpoints)))
    carry = init
    carry_leaves = init_leaves
    ys = []
    try:
        for step, i in enumerate(order):
            if rec is not None:
                if step in keep_at:
                    rec.snapshot(step, carry_leaves)
                rec.step()
            x = tree_unflatten(x_tree, [x[i] for x in x_leaves])
            out = f(carry, x)
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(f"scan body function must return a pair (carry, y), got "
                                f"{type(out).__name__}")
            carry, y = out
            carry_leaves = _check_carry("scan", "carry", init_leaves, init_tree, carry)
            ys.append(y)
    finally:
        if rec is not None:
            rec.close()
    if reverse:
        ys.reverse()
    return carry, _stack(ys, n, f, init, xs)


def _stack(ys, n, f, init, xs):
    if n == 0:
        return None
    leaves0, tree = tree_flatten(ys[0])
    columns = [[] for _ in leaves0]
    for i, y in enumerate(ys):
        leaves, t = tree_flatten(y)
        if t != tree:
            raise TypeError(f"scan body function must return ys of one structure at every "
                            f"step: step 0 gave {tree}, step {i} gave {t}")
        for c, leaf in zip(columns, leaves):
            c.append(leaf)
    return tree_unflatten(tree, [dnp.stack(c) for c in columns])


def map(f, xs):
    """``f`` applied to each slice of xs along its leading axis, results stacked
    (``jax.lax.map``)."""
    return scan(lambda c, x: (c, f(x)), None, xs)[1]


# ----------------------------------------------------------------------------- loops

def fori_loop(lower, upper, body_fun, init_val, *, unroll=None):
    """``val = body_fun(i, val)`` for i from lower to upper - 1 (``jax.lax.fori_loop``);
    the bounds must be concrete ints."""
    for name, b in (("lower", lower), ("upper", upper)):
        b = strip(b)
        if isinstance(b, Tracer) or not isinstance(b, (numbers.Integral, np.integer)) and not (
                isinstance(b, np.ndarray) and b.ndim == 0 and b.dtype.kind in "iu"):
            raise TypeError(f"fori_loop: {name} must be a concrete int, got {b!r}")
    init_leaves, init_tree = tree_flatten(init_val)
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
        _check_carry("fori_loop", "loop value", init_leaves, init_tree, val)
    return val


def _reverse_traced(leaves):
    """Whether a leaf is traced by reverse mode (a tape, or the imperative graph)."""
    for x in leaves:
        while isinstance(x, Tracer):
            if type(x) is Var or graph_var(x) is not None:
                return True
            x = x.val if x._is_value else x.primal
    return False


_WHILE_REVERSE = (
    "Reverse-mode differentiation does not work for lax.while_loop: its number of "
    "iterations is known only once it has run. Try using lax.scan, or lax.fori_loop with "
    "constant trip count (forward mode, jvp and jacfwd, does work through while_loop)")


def while_loop(cond_fun, body_fun, init_val):
    """``while cond_fun(val): val = body_fun(val)`` (``jax.lax.while_loop``).

    Forward mode differentiates it; reverse mode raises, as in JAX.  Under vmap
    with a per-example predicate, it steps until every example is done, each
    example keeping its value once its predicate is false.
    """
    init_leaves, init_tree = tree_flatten(init_val)
    if _reverse_traced(init_leaves):
        raise ValueError(_WHILE_REVERSE)
    val = init_val
    while True:
        pred = cond_fun(val)
        if np.shape(pred) != ():
            raise TypeError(f"while_loop: cond_fun must return a boolean scalar, got "
                            f"shape {np.shape(pred)}")
        b = _batched_flag(pred)
        if b is None:
            if not bool(strip(pred)):
                return val
            new = body_fun(val)
        else:
            if not np.any(strip(b.val)):
                return val
            stepped = body_fun(val)
            new = tree_map(lambda n, o: dnp.where(b, n, o), stepped, val)
        leaves = _check_carry("while_loop", "loop value", init_leaves, init_tree, new)
        if _reverse_traced(leaves):
            raise ValueError(_WHILE_REVERSE)
        val = new


# ----------------------------------------------------------------------------- branches

def cond(pred, true_fun, false_fun, *operands, operand=None):
    """``true_fun(*operands) if pred else false_fun(*operands)`` (``jax.lax.cond``).
    Under vmap with a per-example predicate both branches run and each example takes
    its own (as JAX's select)."""
    if operand is not None:
        if operands:
            raise TypeError("cond: pass the operands positionally or as operand=, not both")
        operands = (operand,)
    if np.shape(pred) != ():
        raise TypeError(f"cond: pred must be a scalar boolean, got shape {np.shape(pred)}")
    for name, fn in (("true_fun", true_fun), ("false_fun", false_fun)):
        if not callable(fn):
            raise TypeError(f"cond: {name} must be callable, got {type(fn).__name__}")
    b = _batched_flag(pred)
    if b is None:
        return (true_fun if bool(strip(pred)) else false_fun)(*operands)
    return _select([false_fun(*operands), true_fun(*operands)], b, "cond")


def switch(index, branches, *operands, operand=None):
    """``branches[index](*operands)``, index clamped to the branches (``jax.lax.switch``)."""
    if operand is not None:
        operands = operands + (operand,)
    branches = list(branches)
    if not branches:
        raise ValueError("switch: branches must be a non-empty sequence of callables")
    if np.shape(index) != ():
        raise TypeError(f"switch: index must be a scalar int, got shape {np.shape(index)}")
    b = _batched_flag(index)
    if b is None:
        i = int(np.clip(int(strip(index)), 0, len(branches) - 1))
        return branches[i](*operands)
    return _select([br(*operands) for br in branches],
                   dnp.clip(b, 0, len(branches) - 1), "switch")


def _select(outs, which, where):
    """Per example, leaf by leaf, outs[which] (which: a batched bool or int)."""
    trees = [tree_flatten(o) for o in outs]
    tree = trees[0][1]
    for leaves, t in trees[1:]:
        if t != tree:
            raise TypeError(f"{where}: the branches must return the same structure, got "
                            f"{tree} and {t}")
    out = []
    for parts in zip(*(leaves for leaves, _ in trees)):
        acc = parts[0]
        for k, p in enumerate(parts[1:], start=1):
            acc = dnp.where(which == k if where == "switch" else which, p, acc)
        out.append(acc)
    return tree_unflatten(tree, out)
