"""Sparse Jacobians and Hessians: dependency patterns, graph coloring, compressed passes.

Three steps, after Gebremedhin, Manne & Pothen, "What color is your Jacobian?
Graph coloring for computing derivatives", SIAM Review 47(4), 2005:

1. **Pattern.**  ``jacobian_sparsity`` runs the function once under a tracing
   transformation (``SparsityTrace``) whose values carry, beside their value, which
   elements of the flattened inputs each of their elements depends on: one sorted row
   of column indices per element, kept as compressed rows in NumPy index arrays, so
   memory and time are O(nnz).  Every primitive has a pattern rule, attached to the
   primitive itself (``prim.sparsity``, set here by the ``pattern_rule`` decorator;
   the primitives declared ``elementwise`` share one generic rule).  The rules are
   structural and conservative: a result is marked as depending on an input element
   for *every* value of the traced inputs (both branches of a ``where``, every element
   a ``max`` could pick, a product with a constant even where the constant is zero);
   only the zero pattern of a constant operand of ``matmul``/``einsum`` is used.  The
   pass composes with the other transformations by the level discipline: the Hessian
   pattern is the pattern of ``grad(f)``, whose backward sweep this trace sees.
2. **Coloring.**  Columns (forward mode) or rows (reverse mode) are colored so that
   no two of one color share a nonzero (greedy distance-2 coloring of the bipartite
   graph); a symmetric Hessian pattern gets a greedy *star coloring* (every path on
   four vertices uses at least three colors), from which each H[i, j] is read directly.
3. **Compressed evaluation.**  One batched pass (``vmap`` of ``jvp``, of a ``vjp``
   pullback, or of ``jvp`` of ``grad``) over one seed per color computes the
   compressed derivative; the nonzeros are read out of it by fancy indexing.

The pattern is detected and colored once per input signature (shapes and dtypes),
at the first call, and cached on the returned function.
"""
import functools
import numbers
import time

import numpy as np

from .backend import apply
from . import numpy as dnp
from .api import grad, jvp, vjp
from .batching import vmap
from .core import Trace, Tracer, bind, registry, strip
from .tree import tree_flatten, tree_unflatten

_I = np.int64
_MODES = ("auto", "forward", "reverse")
_FORMATS = ("dense", "coo", "csr")


# ============================================================================ row patterns

class _Rows:
    """A boolean pattern with one row per element of a value (C order): row r lists,
    sorted and without repeats, the columns (flattened input elements) that element
    r depends on.  Compressed rows: ``indices[indptr[r]:indptr[r + 1]]``."""

    __slots__ = ("indptr", "indices", "ncols")

    def __init__(self, indptr, indices, ncols):
        self.indptr, self.indices, self.ncols = indptr, indices, ncols

    @property
    def nrows(self):
        return len(self.indptr) - 1

    def lengths(self):
        return np.diff(self.indptr)

    def coo(self):
        """(rows, cols) of the nonzeros, row-major."""
        return np.repeat(np.arange(self.nrows, dtype=_I), self.lengths()), self.indices


def _empty(nrows, ncols):
    return _Rows(np.zeros(nrows + 1, _I), np.zeros(0, _I), ncols)


def _identity(n):
    return _Rows(np.arange(n + 1, dtype=_I), np.arange(n, dtype=_I), n)


def _ranges(starts, lens):
    """The concatenation of ``arange(s, s + l)`` for each start s and length l."""
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, _I)
    ends = np.cumsum(lens)
    return np.repeat(starts - (ends - lens), lens) + np.arange(total, dtype=_I)


def _gather(P, src):
    """Row k of the result is row ``src[k]`` of P (empty where ``src[k] < 0``)."""
    src = np.asarray(src, dtype=_I).ravel()
    if len(src) == P.nrows and (src == np.arange(len(src))).all():
        return P
    ok = src >= 0
    s = np.where(ok, src, 0)
    starts = P.indptr[s]
    lens = np.where(ok, P.indptr[s + 1] - starts, 0)
    indptr = np.zeros(len(src) + 1, _I)
    np.cumsum(lens, out=indptr[1:])
    return _Rows(indptr, P.indices[_ranges(starts, lens)], P.ncols)


def _distinct(key, runs=False):
    """The sorted distinct values of an int array (a sort: NumPy's unique hashes, slower
    here).  ``runs``: key is a few sorted runs one after the other."""
    key = np.sort(key, kind="stable" if runs else None)
    if len(key) > 1:
        key = key[np.concatenate([[True], key[1:] != key[:-1]])]
    return key


def _from_pairs(rows, cols, nrows, ncols, runs=False):
    """The pattern holding the (row, col) pairs, repeats merged.  ``runs``: the pairs
    are a few row-major sorted runs one after the other (a merge sort takes them in
    about linear time)."""
    if len(rows) == 0 or ncols == 0:
        return _empty(nrows, ncols)
    key = _distinct(rows * ncols + cols, runs)
    rows = key // ncols
    indptr = np.zeros(nrows + 1, _I)
    np.cumsum(np.bincount(rows, minlength=nrows), out=indptr[1:])
    return _Rows(indptr, key - rows * ncols, ncols)


def _compose(P, out_idx, in_idx, nrows):
    """Row o of the result is the union of the rows ``in_idx[k]`` of P over the pairs
    with ``out_idx[k] == o``: the pattern of a linear map with these nonzeros applied
    to a value of pattern P."""
    out_idx = np.asarray(out_idx, dtype=_I).ravel()
    in_idx = np.asarray(in_idx, dtype=_I).ravel()
    starts = P.indptr[in_idx]
    lens = P.indptr[in_idx + 1] - starts
    return _from_pairs(np.repeat(out_idx, lens), P.indices[_ranges(starts, lens)],
                       nrows, P.ncols)


def _union(pats):
    """Row-wise union of patterns with the same rows."""
    pats = [p for i, p in enumerate(pats) if not any(p is q for q in pats[:i])]
    if len(pats) == 1:
        return pats[0]
    first = pats[0]
    if all(np.array_equal(p.indptr, first.indptr) and np.array_equal(p.indices, first.indices)
           for p in pats[1:]):
        return first
    coo = [p.coo() for p in pats]
    return _from_pairs(np.concatenate([r for r, _ in coo]), np.concatenate([c for _, c in coo]),
                       first.nrows, first.ncols, runs=True)


def _vstack(pats):
    """The patterns' rows one after the other."""
    if len(pats) == 1:
        return pats[0]
    ptrs, off = [np.zeros(1, _I)], 0
    for p in pats:
        ptrs.append(p.indptr[1:] + off)
        off += p.indptr[-1]
    return _Rows(np.concatenate(ptrs), np.concatenate([p.indices for p in pats]), pats[0].ncols)


def _size(shape):
    return int(np.prod(shape, dtype=_I))


def _positions(shape, offset=0):
    """The flat positions of an array of this shape, as an array of it."""
    return np.arange(offset, offset + _size(shape), dtype=_I).reshape(shape)


def _broadcast_rows(P, shape, to):
    """P (the pattern of a value of ``shape``) broadcast to shape ``to``."""
    if tuple(shape) == tuple(to):
        return P
    return _gather(P, np.broadcast_to(_positions(shape), to))


# ============================================================================ pattern rules

def pattern_rule(*names):
    """Attach the decorated function as the pattern rule of the named primitives:
    ``rule(prim, ans, pats, primals, params)`` returns the pattern of ``ans`` from
    ``pats[i]`` (the pattern of argument i, None for a constant)."""
    def attach(rule):
        for name in names:
            prim = registry.get(name)
            if prim is not None:
                prim.sparsity = rule
        return rule
    return attach


def rule_for(prim):
    """The pattern rule of prim: its own, the generic one for a primitive declared
    ``elementwise``, or else ``_every_input`` (dense: correct for any primitive, and
    as sparse as a primitive without structure, a determinant or a solve, is)."""
    rule = getattr(prim, "sparsity", None)
    if rule is None:
        rule = prim.sparsity = _elementwise if prim.elementwise else _every_input
    return rule


def _every_input(prim, ans, pats, primals, params):
    """Each output element depends on every input element any traced argument depends on."""
    cols = _distinct(np.concatenate([p.indices for p in pats if p is not None]))
    n = _size(np.shape(ans))
    return _Rows(np.arange(n + 1, dtype=_I) * len(cols), np.tile(cols, n), pats[0].ncols
                 if pats[0] is not None else next(p for p in pats if p is not None).ncols)


@pattern_rule("add", "subtract", "multiply", "divide", "power", "maximum", "minimum",
              "remainder", "fmod", "where", "astype", "abs", "real", "imag", "angle")
def _elementwise(prim, ans, pats, primals, params):
    """Each output element depends on the element each traced argument broadcasts to it."""
    out = np.shape(ans)
    return _union([_broadcast_rows(p, np.shape(x), out)
                   for p, x in zip(pats, primals) if p is not None])


@pattern_rule("reshape")
def _same_order(prim, ans, pats, primals, params):
    return pats[0]


@pattern_rule("transpose", "broadcast_to", "getitem", "concatenate", "set_item")
def _moved(prim, ans, pats, primals, params):
    """Each output element is one argument's element (or a constant): which one, the
    implementation finds when run on the arguments' flat positions."""
    src, off, parts = [], 0, []
    for p, x in zip(pats, primals):
        shape = np.shape(x)
        src.append(_positions(shape, off))
        off += _size(shape)
        parts.append(p if p is not None else _empty(_size(shape), _ncols(pats)))
    return _gather(_vstack(parts), np.asarray(prim.impl(*src, **params)))


def _ncols(pats):
    return next(p.ncols for p in pats if p is not None)


@pattern_rule("scatter_add")
def _scatter_add(prim, ans, pats, primals, params):
    shape, idx = params["shape"], params["idx"]
    target = _positions(shape)[idx]
    g = np.broadcast_to(_positions(np.shape(primals[0])), np.shape(target))
    return _compose(pats[0], target, g, _size(shape))


@pattern_rule("sum", "max", "min", "prod")
def _reduction(prim, ans, pats, primals, params):
    """Each output element depends on the elements it reduces."""
    shape = np.shape(primals[0])
    axis = params["axis"]
    axes = (range(len(shape)) if axis is None else
            (axis,) if isinstance(axis, numbers.Integral) else axis)
    axes = {a % len(shape) for a in axes} if shape else set()
    if not axes:
        return pats[0]
    kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
    dst = np.broadcast_to(_positions(kept), shape)
    return _compose(pats[0], dst, _positions(shape), _size(kept))


def _nonzero(x):
    """Where a constant operand is nonzero: everywhere for a value of another
    transformation (a batch, or a value carrying a derivative whose own zeros are
    not the value's)."""
    if isinstance(x, Tracer):
        return np.ones(np.shape(x), bool)
    return np.asarray(x) != 0


def _contraction(subscripts, shapes, pats, consts, out_shape):
    """The pattern of ``einsum(subscripts, ...)`` (explicit, letters only, dimensions
    agreeing): an output element depends on a traced operand's element when some
    term of its sum holds that element and no constant operand's factor of that term
    is zero.  For each traced operand k, the terms are counted over the letters of
    the output and of operand k (the other letters summed out), so the work is of
    the order of the pattern's size."""
    ins, out = subscripts.split("->")
    ins = ins.split(",")
    sizes = {c: n for term, shape in zip(ins, shapes) for c, n in zip(term, shape)}
    parts = []
    for k, P in enumerate(pats):
        if P is None:
            continue
        letters = "".join(dict.fromkeys(out + ins[k]))
        others = [j for j in range(len(ins)) if j != k]
        have = set("".join(ins[j] for j in others))
        kept = "".join(c for c in letters if c in have)
        if others:
            ops = [consts[j].astype(float) if consts[j] is not None else np.ones(shapes[j])
                   for j in others]
            terms = np.einsum(",".join(ins[j] for j in others) + "->" + kept, *ops,
                              optimize=len(ops) > 2) > 0
        else:
            terms = np.ones((), bool)
        terms = terms.reshape([sizes[c] if c in have else 1 for c in letters])
        if not letters:      # a scalar from a scalar operand
            o = e = np.zeros(int(terms.any()), _I)
            parts.append(_compose(P, o, e, 1))
            continue
        where = np.nonzero(np.broadcast_to(terms, [sizes[c] for c in letters]))
        at = dict(zip(letters, where))
        count = len(where[0])
        o = (np.ravel_multi_index([at[c] for c in out], out_shape) if out
             else np.zeros(count, _I))
        e = (np.ravel_multi_index([at[c] for c in ins[k]], shapes[k]) if ins[k]
             else np.zeros(count, _I))
        parts.append(_compose(P, o, e, _size(out_shape)))
    return _union(parts)


@pattern_rule("einsum")
def _einsum(prim, ans, pats, primals, params):
    consts = [None if p is not None else _nonzero(x) for p, x in zip(pats, primals)]
    return _contraction(params["subscripts"], [np.shape(x) for x in primals], pats, consts,
                        np.shape(ans))


@pattern_rule("matmul")
def _matmul(prim, ans, pats, primals, params):
    """matmul as a contraction, with its batch dimensions broadcast first."""
    sa, sb = (np.shape(x) for x in primals)
    na, nb = len(sa), len(sb)
    batch = np.broadcast_shapes(sa[:-2] if na > 1 else (), sb[:-2] if nb > 1 else ())
    lead = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:len(batch)]
    terms = [lead + "ij" if na > 1 else "j", lead + "jk" if nb > 1 else "j"]
    out = (lead + "i" if na > 1 else lead if nb > 1 else "") + ("k" if nb > 1 else "")
    shapes, ps, consts = [], [], []
    for p, x, s in zip(pats, primals, (sa, sb)):
        to = tuple(batch) + s[-2:] if len(s) > 1 else s
        shapes.append(to)
        ps.append(None if p is None else _broadcast_rows(p, s, to))
        consts.append(None if p is not None else np.broadcast_to(_nonzero(x), to))
    return _contraction(",".join(terms) + "->" + out, shapes, ps, consts, np.shape(ans))


# ============================================================================ the trace

class SparsityTrace(Trace):
    """A dependency-tracing tag: its values (``Deps``) carry their primal value and,
    for each of its elements, which input elements it depends on."""

    __slots__ = ()

    def __init__(self, name="jacobian_sparsity"):
        super().__init__(name)

    def process(self, prim, args, params):
        if not self.alive:
            raise self.escaped(prim)
        primals = list(args)
        pats = [None] * len(args)
        for i, a in enumerate(args):
            if type(a) is Deps and a._trace is self:
                primals[i] = a.primal
                pats[i] = a.rows
        if self.dispatching:
            ans = bind(prim, primals, params)
        else:
            ans = apply(prim, primals, params)
            self.admit(ans)
        rows = rule_for(prim)(prim, ans, pats, primals, params)
        if rows.nrows != _size(np.shape(ans)):   # pragma: no cover  (a rule's bug)
            raise AssertionError(f"the pattern rule of '{prim.name}' gave {rows.nrows} rows "
                                 f"for an output of shape {np.shape(ans)}")
        return Deps(self, ans, rows)


class Deps(Tracer):
    """A value traced for its dependency pattern: its ``primal`` and ``rows`` (one
    row of input columns per element).  ``pattern`` gives them as (rows, cols)."""

    __slots__ = ("_trace", "primal", "rows")

    def __init__(self, trace, primal, rows):
        self._trace = trace
        self.primal = primal
        self.rows = rows

    @property
    def pattern(self):
        return self.rows.coo()

    def __repr__(self):
        return (f"Deps(shape={self.shape}, nnz={len(self.rows.indices)}, "
                f"tag={self._trace.level})")


# ============================================================================ flat inputs

def _argnums(argnums, nargs, where):
    single = isinstance(argnums, numbers.Integral) and not isinstance(argnums, bool)
    nums = (argnums,) if single else tuple(argnums) if isinstance(argnums, (tuple, list)) else None
    if nums is None or not nums or not all(
            isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in nums):
        raise TypeError(f"{where}: argnums must be an int or a non-empty tuple of ints, "
                        f"got {argnums!r}")
    for a in nums:
        if not -nargs <= a < nargs:
            raise TypeError(f"{where}: argnums={argnums!r} is out of range for a call with "
                            f"{nargs} positional arguments")
    nums = tuple(int(a) % nargs for a in nums)
    if len(set(nums)) != len(nums):
        raise ValueError(f"{where}: argnums={argnums!r} names the same argument twice")
    return single, nums


def _leaf_signature(x):
    try:
        return np.shape(x), np.result_type(strip(x)).str
    except TypeError:
        return type(x)


class _Flat:
    """The differentiated arguments of one call as one flat vector ``x``, and fun as a
    function of that vector (``call``); the output's structure is noted on each call."""

    def __init__(self, fun, args, kwargs, argnums, where, kinds):
        self.fun, self.args, self.kwargs = fun, args, kwargs
        self.single, self.nums = _argnums(argnums, len(args), where)
        self.trees, leaves = [], []
        for k in self.nums:
            ls, t = tree_flatten(args[k])
            self.trees.append(t)
            for x in ls:
                if not isinstance(x, Tracer):
                    x = np.asarray(x)
                dt = np.result_type(strip(x))
                if dt.kind not in kinds:
                    raise TypeError(
                        f"{where}: argument {k} has a leaf of dtype {dt}; only "
                        f"{'real float' if kinds == 'f' else 'float or complex'} inputs can "
                        f"be differentiated here")
                leaves.append(x)
        self.leaves = leaves
        self.shapes = [np.shape(x) for x in leaves]
        self.dtypes = [np.result_type(strip(x)) for x in leaves]
        self.sizes = [_size(s) for s in self.shapes]
        self.n = sum(self.sizes)
        self.dtype = np.result_type(*self.dtypes) if leaves else np.dtype(float)
        self.out = None

    def key(self):
        """The call's signature: structure, shapes and dtypes of every argument."""
        leaves, tree = tree_flatten((self.args, self.kwargs))
        return self.nums, tree, tuple(map(_leaf_signature, leaves))

    def x(self):
        """The flat input vector."""
        if not self.leaves:
            return np.zeros(0, self.dtype)
        if any(isinstance(x, Tracer) for x in self.leaves):
            return dnp.concatenate([dnp.astype(dnp.ravel(x), self.dtype) for x in self.leaves])
        return np.concatenate([np.ravel(x).astype(self.dtype) for x in self.leaves])

    def call(self, x):
        """fun at the arguments read back from the flat vector x."""
        pieces, off = [], 0
        for shape, size, dt in zip(self.shapes, self.sizes, self.dtypes):
            p = x if size == self.n else dnp.getitem(x, slice(off, off + size))
            if dt != self.dtype:
                p = dnp.astype(p, dt)
            pieces.append(dnp.reshape(p, shape))
            off += size
        full, it = list(self.args), iter(pieces)
        for k, t in zip(self.nums, self.trees):
            full[k] = tree_unflatten(t, [next(it) for _ in range(t.num_leaves)])
        return self.fun(*full, **self.kwargs)

    def call_flat(self, x):
        """fun's output leaves, flattened and concatenated; their structure is noted."""
        leaves, tree = tree_flatten(self.call(x))
        self.out = (tree, [np.shape(o) for o in leaves],
                    [np.result_type(strip(o)) for o in leaves])
        if not leaves:
            return np.zeros(0)
        return dnp.concatenate([dnp.ravel(o) for o in leaves])

    def regroup(self, blocks):
        """Blocks, one per input leaf, in the structure of the differentiated arguments."""
        it = iter(blocks)
        grouped = tuple(tree_unflatten(t, [next(it) for _ in range(t.num_leaves)])
                        for t in self.trees)
        return grouped[0] if self.single else grouped

    def dense_tree(self, J, out_tree, out_shapes, out_dtypes):
        """A dense (m, n) matrix as jacfwd lays it out: per output leaf, per input leaf,
        a block of shape ``out.shape + in.shape``."""
        if len(out_shapes) == 1 and len(self.shapes) == 1:
            block = J.astype(out_dtypes[0], copy=False).reshape(out_shapes[0] + self.shapes[0])
            return tree_unflatten(out_tree, [self.regroup([block])])
        per_out, r = [], 0
        for shape_o, dt in zip(out_shapes, out_dtypes):
            mo, c, blocks = _size(shape_o), 0, []
            for shape_i, size_i in zip(self.shapes, self.sizes):
                blocks.append(J[r:r + mo, c:c + size_i].astype(dt).reshape(shape_o + shape_i))
                c += size_i
            per_out.append(self.regroup(blocks))
            r += mo
        return tree_unflatten(out_tree, per_out)


# ============================================================================ detection

def _detect(g, x):
    """The dependency pattern of the 1-D output of ``g`` on its 1-D input x, as
    ``(rows, cols, m)``: sorted row-major, without repeats."""
    n = int(np.shape(x)[0])
    trace = SparsityTrace()
    try:
        trace.admit(x)
        out = g(Deps(trace, x, _identity(n)))
    finally:
        trace.close()
    m = _size(np.shape(out))
    if isinstance(out, Deps) and out._trace is trace:
        rows, cols = out.rows.coo()
    else:
        rows = cols = np.zeros(0, _I)
    return rows, cols, m


def _coo_out(rows, cols, shape, format, where):
    if format == "coo":
        return rows, cols
    if format == "csr":
        sp = _scipy_sparse(where)
        return sp.csr_array((np.ones(len(rows), bool), (rows, cols)), shape=shape)
    dense = np.zeros(shape, bool)
    dense[rows, cols] = True
    return dense


def _check_choice(value, choices, what, where):
    if value not in choices:
        raise ValueError(f"{where}: unknown {what} {value!r}; choose one of "
                         + ", ".join(repr(c) for c in choices))


def jacobian_sparsity(fun, argnums=0, *, format="dense"):
    """The structural sparsity pattern of ``fun``'s Jacobian, found by tracing.

    Returns a function of ``*args`` giving, for ``format="dense"``, a boolean array
    of shape ``(m, n)``: m the total size of the output leaves (flattened and
    concatenated), n that of the differentiated argument leaves (as ``jacfwd``:
    ``argnums`` an int or a tuple, pytree arguments).  An entry is True where the
    output element may depend on the input element for *some* value of the inputs
    (of these shapes): the pattern never misses a nonzero; it may hold entries that
    are zero at every point (a product with a zero constant, a cancellation).  Zero
    patterns of constant operands of ``matmul``/``einsum`` are used, and values that
    are not differentiated (other arguments, closed-over arrays, indices or masks
    computed from the inputs' values) are taken as they are at this call.

    A dense (m, n) array is m·n bytes: for large sizes pass ``format="coo"`` (two
    int64 arrays ``(rows, cols)``, row-major, O(nnz)) or ``format="csr"``
    (``scipy.sparse.csr_array``; needs SciPy).

    >>> f = lambda x: dnp.concatenate([x[:1], x[1:] - x[:-1]])
    >>> jacobian_sparsity(f)(np.ones(3)).astype(int)
    array([[1, 0, 0],
           [1, 1, 0],
           [0, 1, 1]])
    """
    _check_choice(format, _FORMATS, "format", "jacobian_sparsity")

    @functools.wraps(fun)
    def sparsity(*args, **kwargs):
        flat = _Flat(fun, args, kwargs, argnums, "jacobian_sparsity", "fc")
        rows, cols, m = _detect(flat.call_flat, flat.x())
        return _coo_out(rows, cols, (m, flat.n), format, "jacobian_sparsity")
    return sparsity


def hessian_sparsity(fun, argnums=0, *, format="dense"):
    """The structural sparsity pattern of the Hessian of the scalar function ``fun``:
    the pattern of ``grad(fun)``'s Jacobian, an (n, n) boolean array (or ``"coo"``,
    ``"csr"`` as ``jacobian_sparsity``).  Found by one pass of the dependency trace
    over the gradient's recording (the tape's backward sweep is traced too).

    >>> hessian_sparsity(lambda x: dnp.sum(x[1:] * x[:-1]))(np.ones(3)).astype(int)
    array([[0, 1, 0],
           [1, 0, 1],
           [0, 1, 0]])
    """
    _check_choice(format, _FORMATS, "format", "hessian_sparsity")

    @functools.wraps(fun)
    def sparsity(*args, **kwargs):
        flat = _Flat(fun, args, kwargs, argnums, "hessian_sparsity", "f")
        rows, cols, _ = _detect(grad(flat.call), flat.x())
        return _coo_out(rows, cols, (flat.n, flat.n), format, "hessian_sparsity")
    return sparsity


# ============================================================================ coloring

def _grouped(keys, values, nkeys):
    """(indptr, values sorted by key, stably): the values grouped by key, as lists."""
    order = np.argsort(keys, kind="stable")
    indptr = np.zeros(nkeys + 1, _I)
    np.cumsum(np.bincount(keys, minlength=nkeys), out=indptr[1:])
    return indptr.tolist(), values[order].tolist()


def distance2_coloring(rows, cols, shape, side="columns"):
    """Greedy distance-2 coloring of the columns (or rows) of an (m, n) pattern.

    Two columns sharing a row get different colors, so that the columns of one color
    can be summed into one seed (forward mode, ``J @ S``) and each nonzero read back
    from it; ``side="rows"`` does the same for the rows (reverse mode, ``S.T @ J``).
    Columns are colored in their natural order, each with the smallest color that no
    column sharing a row with it has (Gebremedhin, Manne & Pothen 2005, section 3).
    Time: the sum over rows of (row length)**2, in one pass (a row holding every
    column is seen at once: all colors differ).  Returns an int64 array
    of colors 0, 1, ...; -1 for a column with no nonzero.

    >>> rows, cols = np.nonzero(np.eye(4) + np.eye(4, k=1))      # bidiagonal
    >>> distance2_coloring(rows, cols, (4, 4))
    array([0, 1, 0, 1])
    """
    _check_choice(side, ("columns", "rows"), "side", "distance2_coloring")
    rows, cols = np.asarray(rows, _I), np.asarray(cols, _I)
    m, n = shape
    if side == "rows":
        rows, cols, m, n = cols, rows, n, m
    used = np.zeros(n, bool)
    used[cols] = True
    if len(rows) and np.bincount(rows, minlength=m).max() == used.sum():
        # A row holding every column: all colors differ, as the greedy pass would find.
        color = np.full(n, -1, _I)
        color[used] = np.arange(used.sum())
        return color
    r_ptr, r_cols = _grouped(rows, cols, m)
    c_ptr, c_rows = _grouped(cols, rows, n)
    color = [-1] * n
    forbidden = [-1] * (n + 1)
    for j in range(n):
        a, b = c_ptr[j], c_ptr[j + 1]
        if a == b:
            continue
        for r in c_rows[a:b]:
            for k in r_cols[r_ptr[r]:r_ptr[r + 1]]:
                c = color[k]
                if c >= 0:
                    forbidden[c] = j
        c = 0
        while forbidden[c] == j:
            c += 1
        color[j] = c
    return np.asarray(color, _I)


def _symmetric(rows, cols, n):
    """The pattern with its transpose added, sorted row-major, without repeats."""
    rows, cols = np.asarray(rows, _I), np.asarray(cols, _I)
    if n == 0 or len(rows) == 0:
        return np.zeros(0, _I), np.zeros(0, _I)
    key = _distinct(np.concatenate([rows * n + cols, cols * n + rows]))
    return key // n, key % n


def star_coloring(rows, cols, n):
    """Greedy star coloring of the graph of a symmetric (n, n) pattern.

    Adjacent vertices (i != j with a nonzero (i, j)) get different colors, and every
    path on four vertices uses at least three colors, so that each H[i, j] can be read
    directly from the product of H with one seed per color (``H @ S``).  This is
    Gebremedhin, Manne & Pothen's greedy algorithm (SIAM Review 47(4), 2005,
    section 4): a vertex v may not take the color of a vertex x two steps away
    through an uncolored w, nor through a colored w when x has another neighbor of
    w's color.  Vertices are taken largest degree first (a hub first: an arrowhead
    gets two colors).  Pattern symmetrized first; diagonal ignored.

    The paper's triple loop over w, x and x's neighbors costs a hub's degree for each
    of its neighbors (quadratic on an arrowhead).  Here the same choices come from
    what is kept up to date as vertices are colored: for each vertex, how many of
    its neighbors have each color (``count``), and for each colored w, the colors of
    its neighbors x that have another neighbor of w's color (``bad``): v then reads
    ``count[w]`` through an uncolored w and ``bad[w]`` through a colored one.  Time:
    about the sum over vertices of degree times the colors seen around them.

    Returns an int64 array of colors; -1 for a vertex with no nonzero in its row or
    column.

    >>> rows, cols = np.arange(4), np.arange(1, 5)                # a path 0-1-2-3-4
    >>> star_coloring(rows, cols, 5)                              # three colors, not two
    array([2, 0, 1, 0, 2])
    """
    rows, cols = _symmetric(rows, cols, n)
    present = np.zeros(n, bool)
    present[rows] = True
    off = rows != cols
    rows, cols = rows[off], cols[off]
    deg = np.bincount(rows, minlength=n)
    ptr = np.zeros(n + 1, _I)
    np.cumsum(deg, out=ptr[1:])
    ptr, adj = ptr.tolist(), cols.tolist()
    order = np.argsort(-deg, kind="stable")
    order = order[present[order]].tolist()
    color = [-1] * n
    forbidden = [-1] * (n + 1)
    count = [{} for _ in range(n)]     # count[x][c]: neighbors of x colored c
    bad = [None] * n                   # bad[w]: colors forbidden through the colored w
    for v in order:
        nbrs = adj[ptr[v]:ptr[v + 1]]
        for w in nbrs:
            cw = color[w]
            if cw >= 0:
                forbidden[cw] = v
                for c in bad[w]:
                    forbidden[c] = v
            else:
                for c in count[w]:
                    forbidden[c] = v
        c = 0
        while forbidden[c] == v:
            c += 1
        color[v] = c
        # v as the middle vertex x: its colored neighbors w with another neighbor of
        # their color (one already counted) forbid c through w.
        mine = count[v]
        for w in nbrs:
            cw = color[w]
            if cw >= 0 and mine.get(cw, 0) >= 2:
                bad[w].add(c)
        # v as a new neighbor y of each x: x's second neighbor of color c makes every
        # neighbor of x colored c forbid x's color.
        bad[v] = set()
        for x in nbrs:
            cx_count = count[x]
            k = cx_count.get(c, 0) + 1
            cx_count[c] = k
            cx = color[x]
            if cx < 0:
                continue
            if k == 2:
                for w in adj[ptr[x]:ptr[x + 1]]:
                    if color[w] == c:
                        bad[w].add(cx)
            elif k > 2:
                bad[v].add(cx)
    return np.asarray(color, _I)


def check_distance2_coloring(rows, cols, colors, side="columns"):
    """Whether no two columns (``side="rows"``: rows) of one color share a row
    (column) of the pattern, and every column (row) holding a nonzero is colored."""
    rows, cols, colors = (np.asarray(a, _I) for a in (rows, cols, colors))
    if side == "rows":
        rows, cols = cols, rows
    if len(cols) == 0:
        return True
    c = colors[cols]
    if (c < 0).any():
        return False
    k = int(c.max()) + 1
    row_colors = len(_distinct(rows * k + c))
    row_cols = len(_distinct(rows * (int(cols.max()) + 1) + cols))
    return row_colors == row_cols


def _direct(rows, cols, colors):
    """For each off-diagonal entry (i, j) of a symmetric pattern: whether j is the only
    neighbor of i with its color (then H[i, j] is read from row i of H @ S)."""
    k = int(colors.max()) + 1 if len(colors) else 1
    key = rows * k + colors[cols]
    order = np.argsort(key, kind="stable")
    sk = key[order]
    first = np.concatenate([[True], sk[1:] != sk[:-1]])
    last = np.concatenate([sk[1:] != sk[:-1], [True]])
    alone = np.empty(len(key), bool)
    alone[order] = first & last
    return alone


def check_star_coloring(rows, cols, colors):
    """Whether ``colors`` is a star coloring of the (symmetrized) pattern: adjacent
    vertices differ, and each off-diagonal H[i, j] is recoverable directly (j the only
    neighbor of i with j's color, or i the only neighbor of j with i's color), which
    for a distance-1 coloring holds exactly when every path on four vertices uses at
    least three colors."""
    colors = np.asarray(colors, _I)
    n = len(colors)
    rows, cols = _symmetric(rows, cols, n)
    if ((colors[rows] < 0) | (colors[cols] < 0)).any():
        return False
    off = rows != cols
    rows, cols = rows[off], cols[off]
    if (colors[rows] == colors[cols]).any():
        return False
    if not len(rows):
        return True
    direct = _direct(rows, cols, colors)
    # The entry (j, i) of each (i, j): its place in the row-major order.
    where = np.searchsorted(rows * n + cols, cols * n + rows)
    return bool((direct | direct[where]).all())


def _seeds(colors, ncolors, size, dtype):
    """One seed per color: row c is the indicator of the columns (rows) of color c."""
    S = np.zeros((ncolors, size), dtype)
    on = np.flatnonzero(colors >= 0)
    S[colors[on], on] = 1
    return S


# ============================================================================ evaluation

def _batched(fn, seeds, chunk_size):
    """``vmap(fn)`` over the seed rows, chunk_size rows per batched pass."""
    k = len(seeds)
    step = k if chunk_size is None else chunk_size
    parts = [vmap(fn)(seeds[a:a + step]) for a in range(0, k, max(step, 1))]
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)


def _scipy_sparse(where):
    try:
        import scipy.sparse as sp
    except ImportError:   # pragma: no cover
        raise ImportError(f"{where}: format='csr' needs SciPy (scipy.sparse), which is not "
                          f"installed; use format='coo' or 'dense'") from None
    return sp


def _user_pattern(sparsity, where):
    """A user's pattern (boolean NumPy array or scipy.sparse array/matrix), checked for
    its dtype; returns (shape, rows, cols) sorted row-major."""
    if hasattr(sparsity, "tocoo") and hasattr(sparsity, "nnz"):
        if sparsity.dtype != bool:
            raise TypeError(f"{where}: sparsity must be boolean (a bool NumPy array or "
                            f"scipy.sparse array), got dtype {sparsity.dtype}")
        coo = sparsity.tocoo()
        keep = np.asarray(coo.data, bool)
        rows, cols = np.asarray(coo.row, _I)[keep], np.asarray(coo.col, _I)[keep]
        shape = tuple(sparsity.shape)
        if len(rows) and shape[1]:
            key = _distinct(rows * shape[1] + cols)
            rows, cols = key // shape[1], key % shape[1]
        return shape, rows, cols
    if not isinstance(sparsity, np.ndarray):
        raise TypeError(f"{where}: sparsity must be 'detect' or a boolean array "
                        f"(NumPy or scipy.sparse), got {type(sparsity).__name__}")
    if sparsity.dtype != bool:
        raise TypeError(f"{where}: sparsity must be boolean (a bool array of shape (m, n)), "
                        f"got dtype {sparsity.dtype}")
    if sparsity.ndim != 2:
        return sparsity.shape, None, None
    rows, cols = np.nonzero(sparsity)
    return sparsity.shape, rows.astype(_I), cols.astype(_I)


class Plan:
    """What the first call of a sparse derivative for one input signature found:
    the pattern ``rows``, ``cols`` (flattened shapes, row-major) of ``shape``, the
    ``mode`` ("forward", "reverse" or "star"), the ``coloring`` (a color per column,
    per row, or per Hessian index), ``colors`` (their number), ``gather`` (where each
    nonzero is read in the flattened compressed product) and the seconds spent
    detecting (``detect_seconds``), coloring (``color_seconds``) and in all
    (``setup_seconds``)."""

    def __init__(self, rows, cols, shape, mode, coloring, gather, out, detect_seconds,
                 color_seconds):
        self.rows, self.cols, self.shape, self.mode = rows, cols, shape, mode
        self.coloring, self.gather = coloring, gather
        self.colors = int(coloring.max()) + 1 if len(coloring) and coloring.max() >= 0 else 0
        self.out = out
        self.detect_seconds, self.color_seconds = detect_seconds, color_seconds
        self.setup_seconds = detect_seconds + color_seconds

    @property
    def nnz(self):
        return len(self.rows)

    def __repr__(self):
        return (f"Plan(shape={self.shape}, nnz={self.nnz}, mode={self.mode!r}, "
                f"colors={self.colors}, setup_seconds={self.setup_seconds:.3g})")


class _Sparse:
    """The function returned by sparse_jacobian and sparse_hessian: cached plans per
    input signature; ``plan``, ``colors``, ``sparsity`` and ``setup_seconds`` describe
    the latest call's."""

    def __init__(self, fun, argnums, sparsity, format, chunk_size, check, where):
        functools.update_wrapper(self, fun)
        _check_choice(format, _FORMATS, "format", where)
        if chunk_size is not None and (not isinstance(chunk_size, numbers.Integral)
                                       or isinstance(chunk_size, bool) or chunk_size < 1):
            raise ValueError(f"{where}: chunk_size must be a positive int or None, got "
                             f"{chunk_size!r}")
        if isinstance(sparsity, str):
            if sparsity != "detect":
                raise ValueError(f"{where}: sparsity must be 'detect' or a boolean array, "
                                 f"got {sparsity!r}")
            self._given = None
        else:
            self._given = _user_pattern(sparsity, where)
        self.fun, self.argnums, self.format = fun, argnums, format
        self.chunk_size, self.check, self.where = chunk_size, check, where
        self.cache = {}
        self.plan = None

    @property
    def colors(self):
        """The number of colors (batched directions) of the latest call's plan."""
        return None if self.plan is None else self.plan.colors

    @property
    def sparsity(self):
        """The latest call's pattern as ``(rows, cols)`` on the flattened shapes."""
        return None if self.plan is None else (self.plan.rows, self.plan.cols)

    @property
    def setup_seconds(self):
        return None if self.plan is None else self.plan.setup_seconds

    def cache_clear(self):
        """Forget the plans: the next call detects and colors again."""
        self.cache.clear()
        self.plan = None

    def _given_pattern(self, shape, detect, symmetric=False):
        """The user's pattern, checked against ``shape`` (and symmetrized for a Hessian);
        with ``check``, against the detected one (``detect()``) too."""
        given, rows, cols = self._given
        if tuple(given) != tuple(shape):
            raise ValueError(f"{self.where}: sparsity must have shape (m, n) = {tuple(shape)} "
                             f"(flattened output size, flattened input size), got shape "
                             f"{tuple(given)}")
        if symmetric:
            rows, cols = _symmetric(rows, cols, shape[0])
        if self.check:
            d_rows, d_cols = detect()
            n = max(shape[1], 1)
            missing = ~np.isin(d_rows * n + d_cols, rows * n + cols)
            if missing.any():
                where = list(zip(d_rows[missing][:5].tolist(), d_cols[missing][:5].tolist()))
                raise ValueError(f"{self.where}: the given sparsity misses {int(missing.sum())} "
                                 f"nonzero(s) of the detected pattern, e.g. (row, col) "
                                 f"{where}; those entries would be dropped and others of "
                                 f"their color polluted")
        return rows, cols

    def __call__(self, *args, **kwargs):
        flat = _Flat(self.fun, args, kwargs, self.argnums, self.where, "f")
        key = flat.key()
        plan = self.cache.get(key)
        if plan is None:
            plan = self.cache[key] = self._plan(flat)
        self.plan = plan
        return self._evaluate(flat, plan)

    def _format(self, flat, plan, values, dense_meta):
        m, n = plan.shape
        if self.format == "coo":
            return plan.rows, plan.cols, values
        if self.format == "csr":
            return _scipy_sparse(self.where).csr_array((values, (plan.rows, plan.cols)),
                                                       shape=(m, n))
        J = np.zeros((m, n), values.dtype)
        J[plan.rows, plan.cols] = values
        return flat.dense_tree(J, *dense_meta)


class _SparseJacobian(_Sparse):

    def __init__(self, fun, argnums, sparsity, mode, format, chunk_size, check):
        _check_choice(mode, _MODES, "mode", "sparse_jacobian")
        super().__init__(fun, argnums, sparsity, format, chunk_size, check, "sparse_jacobian")
        self.mode = mode

    def _plan(self, flat):
        t0 = time.perf_counter()
        x = flat.x()
        if self._given is None:
            rows, cols, m = _detect(flat.call_flat, x)
        else:
            flat.call_flat(x)      # the output's structure and size
            m = sum(_size(s) for s in flat.out[1])

            def detect():
                return _detect(flat.call_flat, x)[:2]
            rows, cols = self._given_pattern((m, flat.n), detect)
        out = flat.out
        t1 = time.perf_counter()
        complex_out = any(np.dtype(d).kind == "c" for d in out[2])
        if any(np.dtype(d).kind not in "fc" for d in out[2]):
            raise TypeError(f"sparse_jacobian: the function's outputs must be float or "
                            f"complex, got dtypes {[str(d) for d in out[2]]}")
        if self.mode == "reverse" and complex_out:
            raise TypeError("sparse_jacobian: mode='reverse' needs real outputs; the function "
                            "returned complex ones (use mode='forward')")
        mode, colors = self._color(rows, cols, (m, flat.n), complex_out)
        # Where each nonzero lies in the compressed product, flattened: J[i, j] is
        # (J @ S)[i, color of column j], or (S.T @ J)[color of row i, j].
        gather = (colors[cols] * m + rows if mode == "forward" else colors[rows] * flat.n + cols)
        return Plan(rows, cols, (m, flat.n), mode, colors, gather, out, t1 - t0,
                    time.perf_counter() - t1)

    def _color(self, rows, cols, shape, complex_out):
        if self.mode == "forward" or complex_out:
            return "forward", distance2_coloring(rows, cols, shape, "columns")
        if self.mode == "reverse":
            return "reverse", distance2_coloring(rows, cols, shape, "rows")
        m, n = shape
        row_len = np.bincount(rows, minlength=m) if m else np.zeros(0, _I)
        col_len = np.bincount(cols, minlength=n) if n else np.zeros(0, _I)
        # Color the cheaper side first; the other needs at least its longest line of colors.
        fwd_first = (row_len.astype(float) ** 2).sum() <= (col_len.astype(float) ** 2).sum()
        if fwd_first:
            fc = distance2_coloring(rows, cols, shape, "columns")
            k = fc.max() + 1 if len(fc) else 0
            if (col_len.max() if n and m else 0) >= k:
                return "forward", fc
            rc = distance2_coloring(rows, cols, shape, "rows")
        else:
            rc = distance2_coloring(rows, cols, shape, "rows")
            k = rc.max() + 1 if len(rc) else 0
            if (row_len.max() if m and n else 0) > k:
                return "reverse", rc
            fc = distance2_coloring(rows, cols, shape, "columns")
        kf = fc.max() + 1 if len(fc) else 0
        kr = rc.max() + 1 if len(rc) else 0
        return ("forward", fc) if kf <= kr else ("reverse", rc)

    def _evaluate(self, flat, plan):
        x = flat.x()
        m, n = plan.shape
        out_dtype = np.result_type(*plan.out[2]) if plan.out[2] else flat.dtype
        if plan.colors == 0:
            values = np.zeros(0, out_dtype)
        elif plan.mode == "forward":
            seeds = _seeds(plan.coloring, plan.colors, n, flat.dtype)
            C = _batched(lambda t: jvp(flat.call_flat, (x,), (t,))[1], seeds, self.chunk_size)
            values = np.asarray(C).ravel()[plan.gather]
        else:
            _, pull = vjp(flat.call_flat, x)
            seeds = _seeds(plan.coloring, plan.colors, m, out_dtype)
            R = _batched(lambda w: pull(w)[0], seeds, self.chunk_size)
            values = np.asarray(R).ravel()[plan.gather]
        return self._format(flat, plan, values, plan.out)


class _SparseHessian(_Sparse):

    def __init__(self, fun, argnums, sparsity, format, chunk_size, check):
        super().__init__(fun, argnums, sparsity, format, chunk_size, check, "sparse_hessian")

    def _plan(self, flat):
        t0 = time.perf_counter()
        x = flat.x()
        n = flat.n

        def detect():
            return _detect(grad(flat.call), x)[:2]
        if self._given is None:
            rows, cols = detect()
        else:
            rows, cols = self._given_pattern((n, n), detect, symmetric=True)
        rows, cols = _symmetric(rows, cols, n)
        t1 = time.perf_counter()
        colors = star_coloring(rows, cols, n)
        # H[i, j] is row i of H @ S at j's color when j is the only neighbor of i with
        # that color (always so on the diagonal), else row j at i's color.
        take_row = rows == cols
        off = ~take_row
        take_row[off] = _direct(rows[off], cols[off], colors)
        gather = np.where(take_row, colors[cols] * n + rows, colors[rows] * n + cols)
        return Plan(rows, cols, (n, n), "star", colors, gather, None, t1 - t0,
                    time.perf_counter() - t1)

    def _evaluate(self, flat, plan):
        x = flat.x()
        if plan.colors == 0:
            values = np.zeros(0, flat.dtype)
        else:
            seeds = _seeds(plan.coloring, plan.colors, flat.n, flat.dtype)
            g = grad(flat.call)
            B = _batched(lambda t: jvp(g, (x,), (t,))[1], seeds, self.chunk_size)
            values = np.asarray(B).ravel()[plan.gather]
        out = (_hessian_tree(flat), flat.shapes, flat.dtypes)
        return self._format(flat, plan, values, out)


def _hessian_tree(flat):
    """The gradient's structure: the differentiated argument (a tuple of them for a
    tuple argnums)."""
    return tree_flatten(flat.regroup([0] * len(flat.shapes)))[1]


def sparse_jacobian(fun, argnums=0, *, sparsity="detect", mode="auto", format="dense",
                    chunk_size=None, check=False):
    """The Jacobian of ``fun`` from a few batched passes, one per color of its columns
    (forward mode) or rows (reverse mode).

    Returns a function of ``*args`` (as ``jacfwd``: ``argnums`` an int or a tuple,
    pytree arguments; inputs real floats, outputs float or complex).  At its first
    call for given argument shapes and dtypes, the pattern is detected
    (``jacobian_sparsity``) unless given, and colored (``distance2_coloring``); the
    result is cached (``.plan``, ``.colors``, ``.sparsity``, ``.setup_seconds``,
    ``.cache_clear()``).  The pattern holds for every value of the differentiated
    inputs, but what else it read is taken as it was at that first call: values of
    the other arguments and of closed-over arrays (zero patterns of constant
    ``matmul``/``einsum`` operands), and indices or masks computed from the inputs'
    values (``x[argmax(x)]``); if those change, call ``.cache_clear()`` or pass
    ``sparsity=``.  Then the compressed Jacobian ``J @ S`` (a seed per color of
    the columns) is pushed forward as one batch (``vmap`` of ``jvp``), or ``S.T @ J``
    pulled back through one recording (``vmap`` of the ``vjp`` pullback), and the
    nonzeros are read out of it.

    ``mode``: "forward", "reverse" or "auto" (the side with fewer colors; forward on a
    tie, and for complex outputs).  ``format``: "dense" (what ``jacfwd`` returns:
    blocks of shape ``out.shape + in.shape``, in the outputs' and arguments'
    structure), "coo" (``(rows, cols, values)`` on the flattened shapes, row-major)
    or "csr" (``scipy.sparse.csr_array`` of shape (m, n); needs SciPy).
    ``chunk_size`` bounds the colors per batched pass.

    ``sparsity``: "detect", or the pattern as a boolean (m, n) array (NumPy, or a
    scipy.sparse array/matrix) on the flattened shapes.  A given pattern is trusted:
    an entry it misses that is in fact nonzero is not returned, and worse, the
    compressed sums mix it into the entries it shares a row with whose columns have
    its column's color (forward mode; in reverse mode: the entries in its column
    whose rows have its row's color), which then come out wrong.  ``check=True``
    detects the pattern at the first call too and raises a ValueError if the given
    one misses any detected entry.

    >>> jac = sparse_jacobian(lambda x: x[1:] * x[:-1])
    >>> jac(np.arange(1.0, 5.0))           # shape (3, 4), two nonzeros a row
    >>> jac.colors                          # two seeds, pushed forward as one batch
    2
    """
    return _SparseJacobian(fun, argnums, sparsity, mode, format, chunk_size, check)


def sparse_hessian(fun, argnums=0, *, sparsity="detect", format="dense", chunk_size=None,
                   check=False):
    """The Hessian of the scalar function ``fun`` from one batched forward-over-reverse
    pass (``vmap`` of ``jvp`` of ``grad``) over one seed per color of a star coloring
    of its pattern (``star_coloring``): each H[i, j] is read directly from ``H @ S``.

    As ``sparse_jacobian`` otherwise: the pattern (``hessian_sparsity``, or a given
    boolean (n, n) array, symmetrized) and its coloring are found at the first call
    for given argument shapes and dtypes and cached; ``format`` "dense" (what
    ``dualrev.hessian`` returns), "coo" (both triangles) or "csr"; ``check=True``
    compares a given pattern with the detected one.  A given pattern missing a true
    nonzero H[i, j] drops it and can pollute entries of rows i and j read at the
    colors of j and i.

    >>> sparse_hessian(lambda x: dnp.sum((x[1:] - x[:-1] ** 2) ** 2))(np.ones(5))  # tridiagonal
    """
    return _SparseHessian(fun, argnums, sparsity, format, chunk_size, check)


__all__ = ["jacobian_sparsity", "hessian_sparsity", "sparse_jacobian", "sparse_hessian",
           "distance2_coloring", "star_coloring", "check_distance2_coloring",
           "check_star_coloring", "pattern_rule", "rule_for", "SparsityTrace", "Deps", "Plan"]
