"""The functional API: grad, value_and_grad, vjp, jvp, linearize, jacfwd, jacrev, hessian, hvp."""
import functools
import numbers

import numpy as np

from . import backend
from .backend import dtype, is_complex, is_foreign, kind
from .core import Tracer, strip as _strip
from .forward import Dual, DualTrace
from .batching import OneHots, vmap
from .numpy import concatenate as _concatenate
from .numpy import getitem as _getitem, moveaxis as _moveaxis, reshape as _reshape
from .reverse import ListingTape, Tape, Var
from .graph import graph_var as _graph_var
from .tensor import Tensor, _wrap as _box, unbox_input as _unbox_input
from .tree import check_same_tree, tree_flatten, tree_map, tree_unflatten


# ----------------------------------------------------------------------------- inputs

float0 = np.dtype([("float0", np.void, 0)])
"""The dtype of the (empty) derivative of an integer or boolean input, as ``jax.dtypes.float0``."""

_ALLOW_INT_HINT = {"grad": "; or pass allow_int=True for a float0 zero gradient",
                   "jacrev": "; or pass allow_int=True for a zero Jacobian block"}


def _as_float_leaf(x, where, what):
    """A leaf to differentiate with respect to: a float or complex array (Python
    floats → float64, Python complex → complex128)."""
    if isinstance(x, Tracer):
        dt = x.dtype
    elif isinstance(x, (bool, np.bool_)) or (isinstance(x, numbers.Integral)):
        raise TypeError(
            f"{where}: {what} is a Python/NumPy {type(x).__name__} ({x!r}); only float "
            f"or complex inputs can be differentiated. Pass a float (e.g. {float(x)!r}) or "
            f"an array of float dtype{_ALLOW_INT_HINT.get(where, '')}")
    else:
        if isinstance(x, (list, tuple)):
            raise TypeError(f"{where}: {what} must be an array or float, got {type(x).__name__}")
        if not is_foreign(x):
            x = np.asarray(x)
        dt = x.dtype
    if kind(dt) not in "fc":
        raise TypeError(
            f"{where}: {what} has dtype {dt}; only float or complex inputs can be "
            f"differentiated (integer and boolean inputs have no derivative). Cast it with "
            f".astype(float){_ALLOW_INT_HINT.get(where, '')}")
    return x


def _is_int_leaf(x):
    """An integer or boolean leaf: a constant for allow_int=True."""
    if isinstance(x, Tracer):
        return kind(x.dtype) in "biu"
    if isinstance(x, (bool, numbers.Integral)):
        return True
    return (isinstance(x, (np.ndarray, np.generic)) or is_foreign(x)) and kind(x.dtype) in "biu"


def _check_holomorphic_inputs(leaves, where):
    for x in leaves:
        dt = dtype(_strip(x))
        if kind(dt) != "c":
            raise TypeError(f"{where} with holomorphic=True requires inputs with complex "
                            f"dtype, but got {dt}")


def _check_output_dtype(out_leaves, holomorphic, where):
    """JAX's rules for the outputs of grad and jacrev (reverse mode from basis
    cotangents) and of jacfwd with holomorphic=True."""
    for o in out_leaves:
        dt = dtype(_strip(o))
        if holomorphic and kind(dt) != "c":
            raise TypeError(f"{where} with holomorphic=True requires outputs with complex "
                            f"dtype, but got {dt}")
        if not holomorphic and kind(dt) == "c":
            raise TypeError(
                f"{where} requires real-valued outputs (a float dtype), but the function "
                f"returned {dt}. For holomorphic differentiation pass holomorphic=True; "
                f"for a non-holomorphic function with complex outputs use dualrev.vjp "
                f"directly")
        if kind(dt) not in "fc":
            raise TypeError(f"{where} requires a float output, but the function returned "
                            f"dtype {dt}")


def _argnums_tuple(argnums, nargs, where):
    if argnums.__class__ is int and 0 <= argnums < nargs:
        return True, (argnums,)
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    nums = (argnums,) if single else tuple(argnums) if isinstance(argnums, (tuple, list)) else None
    if nums is None or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                               for a in nums):
        raise TypeError(f"{where}: argnums must be an int or a tuple of ints, got {argnums!r}")
    if not nums:
        raise ValueError(f"{where}: argnums must name at least one argument")
    for a in nums:
        if not -nargs <= a < nargs:
            raise TypeError(
                f"{where}: argnums={argnums!r} is out of range: differentiating with respect "
                f"to argument {a} needs at least {a + 1 if a >= 0 else -a} positional "
                f"arguments, but the function was called with {nargs}")
    nums = tuple(int(a) % nargs for a in nums)
    if len(set(nums)) != len(nums):
        raise ValueError(f"{where}: argnums={argnums!r} names the same argument twice")
    return single, nums


def _of_argnums(fun, args, kwargs, nums):
    """fun as a function of the arguments numbered nums, the others fixed."""
    def f(*diff):
        full = list(args)
        for n, d in zip(nums, diff):
            full[n] = d
        return fun(*full, **kwargs)
    return f


def _split_aux(out, has_aux, where):
    if not has_aux:
        return out, None
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(
            f"{where}: has_aux=True requires the function to return a pair (output, aux), "
            f"but it returned {type(out).__name__}"
            f"{' of length ' + str(len(out)) if isinstance(out, (tuple, list)) else ''}")
    return out[0], out[1]


def _unwrap_out(trace, x):
    """The primal of a value of this trace; other values pass through (Tensors stay boxed)."""
    if isinstance(x, Tensor):
        v = x._value
        return _box(v.primal) if isinstance(v, Tracer) and v._trace is trace else x
    if isinstance(x, Tracer) and x._trace is trace:
        return x.primal
    return x


def _unbox(x):
    return x._value if isinstance(x, Tensor) else x


def _rebox(values, boxed):
    """Values for the caller: Tensors where the input was one, and wherever a value
    carries an imperative graph (a graph's Var never reaches user code unboxed)."""
    return [_box(v) if (b or _graph_var(v) is not None) and not isinstance(v, Tensor) else v
            for v, b in zip(values, boxed)]


# ----------------------------------------------------------------------------- reverse mode

class _VJP:
    """The pullback returned by vjp: ``vjp_fn(cotangent) -> tuple per primal``."""

    def __init__(self, tape, in_ids, in_trees, in_leaves, out_tree, out_leaves, out_ids,
                 in_boxed):
        self.tape = tape
        self.in_boxed = in_boxed
        self.in_ids = in_ids
        self.in_trees = in_trees
        self.in_leaves = in_leaves
        self.out_tree = out_tree
        self.out_leaves = out_leaves
        self.out_ids = out_ids

    def __call__(self, ct):
        return self.pull_seeds(self._seeds(ct), consume=False)

    def _seeds(self, ct):
        """{entry index: cotangent} for a cotangent of the output's structure."""
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != self.out_tree:
            raise ValueError(
                f"vjp_fn: the cotangent must have the structure of the function's output: "
                f"expected {self.out_tree}, given {ct_tree}")
        seeds = {}
        for i, (c, o, k) in enumerate(zip(ct_leaves, self.out_leaves, self.out_ids)):
            c = _unbox(c)
            cs, os_ = np.shape(c), np.shape(o)
            if cs != os_:
                raise ValueError(
                    f"vjp_fn: cotangent leaf {i} has shape {cs}, expected shape {os_} "
                    f"(the output's); broadcasting is not applied")
            if k >= 0:
                odt = dtype(_strip(o))
                if kind(odt) != "c" and is_complex(_strip(c)):
                    raise ValueError(
                        f"vjp_fn: cotangent leaf {i} has complex dtype "
                        f"{dtype(_strip(c))}, but the output it pairs with is real "
                        f"({odt}); a real output takes a real cotangent")
                if not isinstance(c, Tracer) and not is_foreign(c):
                    c = backend.asarray(c, o, odt)
                seeds[k] = c if k not in seeds else seeds[k] + c
        return seeds

    def pull_seeds(self, seeds, consume):
        """The input cotangents, one tree per primal, from validated seeds."""
        cts = self.tape.backward(seeds, consume) if seeds else [None] * len(self.tape.entries)
        outs = []
        for tree, ids, leaves, boxed in zip(self.in_trees, self.in_ids, self.in_leaves,
                                            self.in_boxed):
            vals = [cts[k] if k >= 0 and cts[k] is not None else _zeros_like(x)
                    for k, x in zip(ids, leaves)]
            outs.append(tree_unflatten(tree, _rebox(vals, boxed)))
        return tuple(outs)


def _zeros_like(x):
    dt = dtype(_strip(x))
    if kind(dt) in "biu":
        return np.zeros(np.shape(x), dtype=float0)
    return backend.zeros(np.shape(x), dt, x)


def _record(fun, primals, where, has_aux=False, tape_cls=Tape, allow_int=False,
            holomorphic=False):
    """Run fun on primals under a new tape: ``(out, aux, pullback)``.  With
    allow_int, integer and boolean leaves are constants (their cotangent: zeros)."""
    tape = tape_cls(where)
    in_trees, in_leaves, in_ids, in_boxed, args = [], [], [], [], []
    for n, p in enumerate(primals):
        leaves, tree = tree_flatten(p)
        ints = [allow_int and _is_int_leaf(x) for x in leaves]
        leaves = [x if i_ else _as_float_leaf(
                      x, where, f"argument {n}" + (f" (leaf {i} of {tree})" if tree.kind != "leaf" else ""))
                  for i, (x, i_) in enumerate(zip(leaves, ints))]
        if holomorphic:
            _check_holomorphic_inputs(leaves, where)
        boxed = [isinstance(x, Tensor) for x in leaves]
        leaves = [_unbox_input(x) if b else x for x, b in zip(leaves, boxed)]
        vars_ = [x if i_ else tape.new_input(x) for x, i_ in zip(leaves, ints)]
        in_trees.append(tree)
        in_leaves.append(leaves)
        in_ids.append([-1 if i_ else v.idx for v, i_ in zip(vars_, ints)])
        in_boxed.append(boxed)
        args.append(tree_unflatten(tree, _rebox(vars_, boxed)))
    try:
        out, aux = _split_aux(fun(*args), has_aux, where)
    finally:
        tape.close()
    out_leaves, out_tree = tree_flatten(out)
    out_boxed = [isinstance(x, Tensor) for x in out_leaves]
    out_leaves = [_unbox(x) for x in out_leaves]
    out_ids = [x.idx if isinstance(x, Var) and x._trace is tape else -1 for x in out_leaves]
    out_leaves = [_unwrap_out(tape, x) for x in out_leaves]
    for x in out_leaves:
        _check_leaf_out(x, where)
    if aux is not None:
        aux = tree_map(lambda x: _unwrap_out(tape, x), aux)
    pull = _VJP(tape, in_ids, in_trees, in_leaves, out_tree, out_leaves, out_ids, in_boxed)
    return tree_unflatten(out_tree, _rebox(out_leaves, out_boxed)), aux, pull


def _check_leaf_out(x, where):
    if isinstance(x, Tracer):
        return
    if not isinstance(x, (np.ndarray, np.generic, numbers.Number)) and not is_foreign(x):
        raise TypeError(f"{where}: the function returned a {type(x).__name__}; outputs must be "
                        f"arrays, floats or pytrees of them")


def vjp(fun, *primals, has_aux=False):
    """Reverse mode: ``(out, vjp_fn)``, or ``(out, vjp_fn, aux)`` with has_aux.

    ``vjp_fn(ct)`` returns a tuple with one cotangent per primal; it reuses
    the tape recorded here and never re-runs ``fun``.

    >>> out, f_vjp = vjp(dnp.sin, 0.5)
    >>> f_vjp(1.0)                      # (cos(0.5),)
    """
    out, aux, pull = _record(fun, primals, "vjp", has_aux)
    return (out, pull, aux) if has_aux else (out, pull)


def value_and_grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """``(value, grad)`` of a scalar function; ``((value, aux), grad)`` with has_aux.

    Complex inputs follow JAX: for a real output the gradient is
    ``∂f/∂Re z − i ∂f/∂Im z``; a complex output needs ``holomorphic=True``
    (then the gradient is f'(z)).  ``allow_int=True`` gives integer and
    boolean arguments a gradient of zeros of dtype ``dualrev.float0``.

    >>> value_and_grad(lambda x: x ** 2)(3.0)     # (9.0, 6.0)
    """
    @functools.wraps(fun)
    def vg(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args), "grad")
        f = _of_argnums(fun, args, kwargs, nums)
        out, aux, pull = _record(f, [args[n] for n in nums], "grad", has_aux,
                                 allow_int=allow_int, holomorphic=holomorphic)
        if pull.out_tree.kind != "leaf" or np.shape(out) != ():
            what = (f"an array of shape {np.shape(out)}" if pull.out_tree.kind == "leaf"
                    else f"{type(out).__name__} (tree {pull.out_tree})")
            raise TypeError(f"grad requires a scalar output (shape ()), but the function "
                            f"returned {what}; use vjp or jacrev for non-scalar outputs")
        _check_output_dtype(pull.out_leaves, holomorphic, "grad")
        k = pull.out_ids[0]
        g = pull.pull_seeds({k: _one(out)} if k >= 0 else {}, consume=True)
        g = g[0] if single else g
        return ((out, aux), g) if has_aux else (out, g)
    return vg


def _one(out):
    """The seed cotangent of a scalar output: 1 in its dtype (and library)."""
    dt = dtype(_strip(out))
    return dt.type(1) if isinstance(dt, np.dtype) and not is_foreign(_strip(out)) \
        else backend.full((), 1, dt, out)


def grad(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    """The gradient of a scalar-valued function, as ``jax.grad``.

    >>> grad(lambda x: dnp.sin(x) * x)(1.0)       # cos(1) + sin(1)
    >>> grad(lambda z: dnp.abs(z) ** 2)(1 + 2j)   # (2-4j), JAX's convention
    """
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(fun)
    def g(*args, **kwargs):
        res, gr = vg(*args, **kwargs)
        return (gr, res[1]) if has_aux else gr
    return g


# ----------------------------------------------------------------------------- forward mode

def jvp(fun, primals, tangents, has_aux=False):
    """Forward mode: ``(out, tangent_out)`` (``+ aux`` with has_aux), as ``jax.jvp``.

    >>> jvp(dnp.sin, (0.5,), (1.0,))             # (sin(0.5), cos(0.5))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"jvp: primals and tangents must be tuples or lists (one entry per argument), "
            f"got primals of type {type(primals).__name__} and tangents of type "
            f"{type(tangents).__name__}")
    p_leaves, p_tree = tree_flatten(tuple(primals))
    t_leaves, t_tree = tree_flatten(tuple(tangents))
    check_same_tree("jvp", "primals", p_tree, p_leaves, "tangents", t_tree, t_leaves)
    trace = DualTrace("jvp")
    duals = []
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
        p = _as_float_leaf(p, "jvp", f"primal leaf {i}")
        t = _as_float_leaf(t, "jvp", f"tangent leaf {i}")
        tdt, pdt = dtype(_strip(t)), dtype(_strip(p))
        if tdt != pdt:
            raise TypeError(f"jvp: tangent leaf {i} has dtype {tdt} but its primal has dtype "
                            f"{pdt}; they must match")
        p_in = _unbox_input(p) if isinstance(p, Tensor) else p
        trace.admit(p_in)
        d = Dual(trace, p_in, _unbox_input(t) if isinstance(t, Tensor) else t)
        duals.append(_box(d) if isinstance(p, Tensor) else d)
    try:
        out, aux = _split_aux(fun(*tree_unflatten(p_tree, duals)), has_aux, "jvp")
    finally:
        trace.close()
    o_leaves, o_tree = tree_flatten(out)
    outs, touts = [], []
    o_boxed = [isinstance(x, Tensor) for x in o_leaves]
    for x in map(_unbox, o_leaves):
        _check_leaf_out(x, "jvp")
        if isinstance(x, Dual) and x._trace is trace:
            outs.append(x.primal)
            touts.append(x.tangent)
        else:
            outs.append(x)
            touts.append(_zeros_like(x))
    res = (tree_unflatten(o_tree, _rebox(outs, o_boxed)),
           tree_unflatten(o_tree, _rebox(touts, o_boxed)))
    if has_aux:
        return res + (tree_map(lambda x: _unwrap_out(trace, x), aux),)
    return res


def linearize(fun, *primals, has_aux=False):
    """``(out, jvp_fn)``, or ``(out, jvp_fn, aux)`` with has_aux:
    ``jvp_fn(*tangents)`` is the JVP at ``primals``.

    The function runs once, under a tape; ``jvp_fn`` is the transpose of
    that tape's pullback (recorded once here), so calling it never re-runs
    ``fun``.
    """
    out, pull, *aux = vjp(fun, *primals, has_aux=has_aux)
    o_leaves, o_tree = tree_flatten(out)
    zero_ct = tree_unflatten(o_tree, [_zeros_like(o) for o in o_leaves])
    _, pull_t = vjp(pull, zero_ct)
    in_leaves, in_tree = tree_flatten(tuple(primals))

    def jvp_fn(*tangents):
        if len(tangents) != len(primals):
            raise TypeError(f"linearize: jvp_fn takes {len(primals)} tangents (one per primal), "
                            f"got {len(tangents)}")
        t_leaves, t_tree = tree_flatten(tuple(tangents))
        check_same_tree("linearize", "primals", in_tree, in_leaves, "tangents", t_tree, t_leaves)
        return pull_t(tuple(tangents))[0]
    return (out, jvp_fn, aux[0]) if has_aux else (out, jvp_fn)


def hvp(fun, primals, tangents):
    """Hessian-vector product ``∇²f(primals)·tangents`` (forward over reverse)."""
    return jvp(grad(fun, argnums=tuple(range(len(primals)))) if len(primals) > 1 else grad(fun),
               primals, tangents)[1]


# ----------------------------------------------------------------------------- Jacobians

def _flat_inputs(args, nums, where, holomorphic=False, allow_int=False):
    """Flattened float leaves of the differentiated arguments, with rebuilders.
    Without holomorphic, forward mode takes real inputs only (as JAX: a complex
    input has two real directions per element, which one column cannot hold)."""
    trees, leaves = [], []
    for n in nums:
        ls, t = tree_flatten(args[n])
        ls = [x if allow_int and _is_int_leaf(x) else _as_float_leaf(x, where, f"argument {n}")
              for x in ls]
        if holomorphic:
            _check_holomorphic_inputs(ls, where)
        elif where == "jacfwd":
            for x in ls:
                dt = dtype(_strip(x))
                if kind(dt) == "c":
                    raise TypeError(
                        f"jacfwd requires real-valued inputs (a float dtype), but argument "
                        f"{n} has dtype {dt}. For holomorphic differentiation pass "
                        f"holomorphic=True; for a non-holomorphic function of complex inputs "
                        f"use dualrev.jvp directly")
        trees.append(t)
        leaves.append(ls)
    return trees, leaves


def _check_chunk_size(chunk_size, where):
    if chunk_size is None:
        return
    if not isinstance(chunk_size, numbers.Integral) or isinstance(chunk_size, bool):
        raise TypeError(f"{where}: chunk_size must be a positive int or None, got "
                        f"{chunk_size!r}")
    if chunk_size < 1:
        raise ValueError(f"{where}: chunk_size must be at least 1 (directions per batched "
                         f"pass), got {chunk_size}")


def _chunks(n, chunk_size):
    """(start, stop) of each batch of directions."""
    step = n if chunk_size is None else chunk_size
    return [(a, min(a + step, n)) for a in range(0, n, max(step, 1))]


def _one_hots(leaves, start, stop):
    """Directions start..stop-1 of the standard basis over the flattened leaves: for each
    leaf, their parts as a batch of one-hots (``batching.OneHots``, implicit)."""
    out, offset = [], 0
    for x in leaves:
        shape = np.shape(x)
        dt = dtype(_strip(x))
        if is_foreign(_strip(x)):   # another library's arrays: the basis, dense, in it
            out.append(_basis(x, start, stop, offset, shape, dt))
        else:
            out.append(OneHots.basis(start, stop, offset, shape, dt))
        offset += int(np.prod(shape))
    return out


def _basis(like, start, stop, offset, shape, dt):
    """Directions start..stop-1 of the standard basis (offset: where like's elements begin
    in the flattened inputs), as a dense batch of like's library and device."""
    xp = backend.namespace(like)
    eye = xp.eye(stop - start, int(np.prod(shape)), k=start - offset, dtype=dt,
                 device=backend.device(like))
    return xp.reshape(eye, (stop - start,) + tuple(shape))


def _stacked_directions(parts):
    """One array per leaf: the directions' results of each chunk, concatenated along
    the leading (direction) axis."""
    return [p[0] if len(p) == 1 else _concatenate(p, axis=0) for p in zip(*parts)]


def _split_axis(a, sizes, axis, shapes):
    """a split along ``axis`` into pieces of the given sizes, each reshaped there to its
    shape (an axis of length n becomes the axes of shape, of size n)."""
    out, start = [], 0
    nd = np.ndim(a)
    axis %= nd
    for n, shape in zip(sizes, shapes):
        piece = a if n == np.shape(a)[axis] else _getitem(
            a, (slice(None),) * axis + (slice(start, start + n),))
        s = np.shape(piece)
        out.append(_reshape(piece, s[:axis] + tuple(shape) + s[axis + 1:]))
        start += n
    return out


def jacfwd(fun, argnums=0, has_aux=False, holomorphic=False, *, chunk_size=None):
    """The Jacobian by forward mode, as ``jax.jacfwd``: the whole basis of input
    directions is pushed forward as one batch of tangents (``vmap`` of ``jvp``), so
    the function runs once; ``chunk_size`` directions per pass bound the memory (as
    ``torch.func.jacfwd``), with the same result for every chunk size.

    The result has the output's structure; each leaf holds, per input leaf,
    an array of shape ``out.shape + in.shape``.  Complex inputs need
    ``holomorphic=True`` (then the outputs must be complex too).
    """
    _check_chunk_size(chunk_size, "jacfwd")

    def jac(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args), "jacfwd")
        trees, leaves = _flat_inputs(args, nums, "jacfwd", holomorphic)
        flat = [x for ls in leaves for x in ls]

        def f(*xs):
            full = list(args)
            it = iter(xs)
            for n, t, ls in zip(nums, trees, leaves):
                full[n] = tree_unflatten(t, [next(it) for _ in ls])
            return fun(*full, **kwargs)

        def push(*tangents):
            res = jvp(f, tuple(flat), tangents, has_aux=has_aux)
            return res if has_aux else res + (None,)

        sizes = [int(np.prod(np.shape(x))) for x in flat]
        parts, out, aux = [], None, None
        for start, stop in _chunks(sum(sizes), chunk_size):
            out, t_out, aux = vmap(push, out_axes=(None, 0, None))(
                *_one_hots(flat, start, stop))
            parts.append(tree_flatten(t_out)[0])
        if not parts:
            out, aux = _split_aux(f(*flat), has_aux, "jacfwd")
        o_leaves, o_tree = tree_flatten(out)
        if holomorphic:
            _check_output_dtype([_unbox(o) for o in o_leaves], True, "jacfwd")
        per_out = []
        for oi, o in enumerate(o_leaves):
            if parts:
                col = _moveaxis(_stacked_directions(parts)[oi], 0, -1)
                per_in = _split_axis(col, sizes, -1, [np.shape(x) for x in flat])
            else:
                per_in = [_zeros(np.shape(o) + np.shape(x), o) for x in flat]
            per_out.append(_regroup(per_in, trees, leaves, single))
        J = tree_unflatten(o_tree, per_out)
        return (J, aux) if has_aux else J
    return functools.wraps(fun)(jac)


def _zeros(shape, like):
    return backend.zeros(shape, dtype(_strip(like)), like)


def _regroup(per_in, trees, leaves, single):
    it = iter(per_in)
    grouped = tuple(tree_unflatten(t, [next(it) for _ in ls]) for t, ls in zip(trees, leaves))
    return grouped[0] if single else grouped


def jacrev(fun, argnums=0, has_aux=False, holomorphic=False, allow_int=False, *,
           chunk_size=None):
    """The Jacobian by reverse mode, as ``jax.jacrev``: the function is recorded
    once and the whole basis of output cotangents is pulled back through that
    recording as one batch (``vmap`` of the pullback); ``chunk_size`` cotangents per
    pass bound the memory, with the same result for every chunk size.

    Complex outputs need ``holomorphic=True`` (then the inputs must be complex
    too); with ``allow_int=True`` an integer input's block is zeros of its dtype,
    as JAX.
    """
    _check_chunk_size(chunk_size, "jacrev")

    def jac(*args, **kwargs):
        single, nums = _argnums_tuple(argnums, len(args), "jacrev")
        trees, leaves = _flat_inputs(args, nums, "jacrev", holomorphic, allow_int)
        f = _of_argnums(fun, args, kwargs, nums)
        out, aux, pull = _record(f, [args[n] for n in nums], "jacrev", has_aux,
                                 allow_int=allow_int)
        o_leaves, o_tree = tree_flatten(out)
        _check_output_dtype(pull.out_leaves, holomorphic, "jacrev")
        flat_in = [x for ls in leaves for x in ls]
        ints = [allow_int and _is_int_leaf(x) for x in flat_in]
        sizes = [int(np.prod(np.shape(o))) for o in pull.out_leaves]

        def pull_flat(*cts):
            g = pull(tree_unflatten(o_tree, list(cts)))
            return [x for gi in g for x in tree_flatten(gi)[0]]

        parts = []
        for start, stop in _chunks(sum(sizes), chunk_size):
            parts.append(vmap(pull_flat)(*_one_hots(pull.out_leaves, start, stop)))
        rows = _stacked_directions(parts) if parts else [None] * len(flat_in)
        blocks = [None if ints[li] or r is None else
                  _split_axis(r, sizes, 0, [np.shape(o) for o in pull.out_leaves])
                  for li, r in enumerate(rows)]
        per_out = []
        for oi, o in enumerate(pull.out_leaves):
            per_in = [_zeros(np.shape(o) + np.shape(x), x) if blocks[li] is None
                      else blocks[li][oi] for li, x in enumerate(flat_in)]
            per_out.append(_regroup(per_in, trees, leaves, single))
        J = tree_unflatten(o_tree, per_out)
        return (J, aux) if has_aux else J
    return functools.wraps(fun)(jac)


def hessian(fun, argnums=0, has_aux=False, holomorphic=False, *, chunk_size=None):
    """The Hessian, forward over reverse: ``jacfwd(jacrev(fun))``, each batched (the
    basis of input directions pushed through the gradient as one batch);
    ``chunk_size`` bounds the directions per pass.  With has_aux ``(hessian, aux)``."""
    _check_chunk_size(chunk_size, "hessian")
    return jacfwd(jacrev(fun, argnums, has_aux, holomorphic, chunk_size=chunk_size),
                  argnums, has_aux, holomorphic, chunk_size=chunk_size)


def stop_gradient(x):
    """x with every derivative dropped: a constant to all transformations."""
    return tree_map(lambda v: v.detach() if isinstance(v, Tensor) else _strip(v), x)


def make_tape(fun):
    """``make_tape(f)(*args)`` records f on a tape and returns it for reading.

    >>> print(make_tape(lambda x: dnp.sin(x) * 2.0)(np.ones(3)))
    """
    def recorder(*args):
        out, _, pull = _record(fun, args, "make_tape", tape_cls=ListingTape)
        return TapeListing(pull)
    return recorder


class TapeListing:
    """A recorded tape, printable one line per operation."""

    def __init__(self, pull):
        self.pull = pull
        self.tape = pull.tape

    def __len__(self):
        return len(self.tape.entries)

    def __repr__(self):
        tape = self.tape
        inputs = {k for ids in self.pull.in_ids for k in ids}
        lines = [f"Tape: {len(inputs)} inputs, {len(tape.entries) - len(inputs)} operations, "
                 f"outputs {', '.join('%' + str(k) if k >= 0 else 'const' for k in self.pull.out_ids)}"]
        shapes = tape.shapes
        for i, e in enumerate(tape.entries):
            aval = _fmt_aval(*shapes[i])
            if e is None:
                lines.append(f"  %{i:<3} = input{'':<13} {aval}")
            else:
                prim, ids, args, _, params, _ = e
                if isinstance(ids, int):
                    ids = (ids,) + (-1,) * (len(args) - 1)
                ins = ", ".join(f"%{k}" if k >= 0 else "const" for k in ids)
                p = "".join(f", {k}={v}" for k, v in params.items() if k not in ("in_shape", "in_chunks"))
                lines.append(f"  %{i:<3} = {prim.name:<18} {aval:<14} ({ins}{p})")
        return "\n".join(lines)

    __str__ = __repr__


def _fmt_aval(shape, dtype):
    if shape is None:       # a custom call's node: its outputs follow
        return ""
    return f"{np.dtype(dtype).name}{list(shape)}"


__all__ = ["grad", "value_and_grad", "vjp", "jvp", "linearize", "jacfwd", "jacrev",
           "hessian", "hvp", "stop_gradient", "make_tape", "vmap"]
