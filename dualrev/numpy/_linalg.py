"""Products: matmul and einsum primitives; dot and outer built on them."""
import functools
import string

import numpy as np

from ..batching import OneHots, _dense
from ..core import Primitive, Tracer, bind, strip
from ._dispatch import CONVERSION_ERRORS, array_of, dispatching_composite, plain, traced_arrays
from ._elementwise import multiply, where
from ._shape import _reshape, broadcast_to, expand_dims, lift_batch, moveaxis, ravel, swapaxes


def _mT(x):
    return swapaxes(x, -1, -2)


def _transposed(x):
    """x is a 2-D array stored column-major (a transposed view, as ``w.T``)."""
    x = strip(x)
    flags = getattr(x, "flags", None)
    return flags is not None and x.ndim == 2 and flags.f_contiguous and not flags.c_contiguous


# For a 2-D operand stored transposed (``x @ w.T``), its cotangent is computed
# as the transpose of a row-major product: it then has the operand's layout,
# and the cotangent of ``w`` itself comes out row-major, with no copy.
def _matmul_vjp_a(g, ans, a, b):
    na, nb = np.ndim(a), np.ndim(b)
    if na == 2 and nb == 2 and _transposed(a):
        return _mT(matmul(b, _mT(g)))
    if na == 1 and nb == 1:
        return multiply(g, b)
    if na == 1:                                   # (k,) @ (..., k, n)
        return _reshape(matmul(expand_dims(g, -2), _mT(b)), np.shape(g)[:-1] + (np.shape(b)[-2],))
    if nb == 1:                                   # (..., m, k) @ (k,)
        return multiply(expand_dims(g, -1), b)
    return matmul(g, _mT(b))


def _matmul_vjp_b(g, ans, a, b):
    na, nb = np.ndim(a), np.ndim(b)
    if na == 2 and nb == 2 and _transposed(b):
        return _mT(matmul(_mT(g), a))
    if na == 1 and nb == 1:
        return multiply(g, a)
    if na == 1:                                   # (k,) @ (..., k, n)
        return multiply(expand_dims(a, -1), expand_dims(g, -2))
    if nb == 1 and na == 2:                       # (m, k) @ (k,): g @ a
        return matmul(g, a)
    if nb == 1:                                   # (..., m, k) @ (k,)
        return _reshape(matmul(_mT(a), expand_dims(g, -1)), np.shape(g)[:-1] + (np.shape(a)[-1],))
    return matmul(_mT(a), g)


def _matmul_batch(batched, a, b):
    """matmul broadcasts over leading axes: a 1-D operand becomes a matrix (a row
    for a, a column for b), the batched operands get length-1 axes after their
    batch axis up to the larger per-example rank, and the product runs once; the
    axes added for 1-D operands are dropped again."""
    ra, rb = np.ndim(a) - batched[0], np.ndim(b) - batched[1]
    if batched[0] != batched[1] and (ra if batched[1] else rb) <= 2:
        out = _matmul_one_hots(a, b, batched[0], ra, rb)
        if out is not None:
            return out
        return _matmul_one_batched(_dense(a), _dense(b), batched[0], ra, rb)
    a, b = _dense(a), _dense(b)
    if ra == 1:
        a = expand_dims(a, -2)
    if rb == 1:
        b = expand_dims(b, -1)
    top = max(ra, rb, 2)
    if batched[0]:
        a = lift_batch(a, top - max(ra, 2))
    if batched[1]:
        b = lift_batch(b, top - max(rb, 2))
    out = bind(matmul_p, (a, b))
    drop = (-2,) * (ra == 1) + (-1,) * (rb == 1)
    if drop:
        s = np.shape(out)
        keep = tuple(n for k, n in enumerate(s) if k - len(s) not in drop)
        out = _reshape(out, keep)
    return out


def _matmul_one_hots(a, b, a_batched, ra, rb):
    """The product of a batch of one-hot vectors with a constant matrix or vector:
    rows (or columns) of the constant, read instead of multiplied; or None."""
    hots, m = (a, b) if a_batched else (b, a)
    if type(hots) is not OneHots or (ra if a_batched else rb) != 1 or not isinstance(m, np.ndarray):
        return None
    return hots.rows_of(m if a_batched or m.ndim == 1 else m.T)


def _matmul_one_batched(a, b, a_batched, ra, rb):
    """One operand batched, the other at most a matrix: the batch folded into the
    rows of a (or the columns of b), so that one matrix product serves the whole
    batch instead of one small product per example."""
    if a_batched:
        if ra == 1:                          # (N, k) @ (k, [n])
            return _folded(a, b)
        s = np.shape(a)                      # (N, ..., m, k)
        out = _folded(_reshape(a, (-1, s[-1])), b)
        return _reshape(out, s[:-1] + np.shape(out)[1:])
    if rb == 1:                              # a @ b[i] = b[i] @ a.T
        return _folded(b, _mT(a) if ra == 2 else a)
    s = np.shape(b)                          # (N, ..., k, n): its columns side by side
    cols = _reshape(moveaxis(b, -2, 0), (s[-2], -1))
    out = _folded_columns(a, cols)           # (m, N·...·n) or (N·...·n,)
    out = _reshape(out, np.shape(out)[:-1] + s[:-2] + s[-1:])
    return moveaxis(out, 0, -2) if ra == 2 else out


# NumPy multiplies a single row (or column) by a matrix with another BLAS routine
# (gemv, dot) than several rows (gemm), rounding differently.  So that an example's
# result does not depend on how many examples share the product (jacfwd's and
# jacrev's chunk_size), a lone row or column is doubled and the copy dropped.

def _folded(rows, b):
    """``rows @ b`` for the (n, k) rows of a folded batch."""
    if np.shape(rows)[0] != 1:
        return bind(matmul_p, (rows, b))
    from ._shape import concatenate, getitem
    return getitem(bind(matmul_p, (concatenate([rows, rows]), b)), slice(0, 1))


def _folded_columns(a, cols):
    """``a @ cols`` for the (k, p) columns of a folded batch."""
    if np.shape(cols)[1] != 1:
        return bind(matmul_p, (a, cols))
    from ._shape import concatenate, getitem
    out = bind(matmul_p, (a, concatenate([cols, cols], axis=1)))
    return getitem(out, (Ellipsis, slice(0, 1)))


_matmul_batch.takes_one_hots = True

matmul_p = Primitive(
    "matmul", np.matmul,
    jvp=(lambda a_dot, ans, a, b: matmul(a_dot, b), lambda b_dot, ans, a, b: matmul(a, b_dot)),
    vjp=(_matmul_vjp_a, _matmul_vjp_b),
    batch=_matmul_batch)


def matmul(a, b):
    """Differentiable ``numpy.matmul`` (the ``@`` operator)."""
    try:
        if not (plain(a) and plain(b)):
            if np.ndim(strip(a)) == 0 or np.ndim(strip(b)) == 0:
                raise ValueError("matmul: Input operand does not have enough dimensions")
            return bind(matmul_p, (a, b))
        return np.matmul(a, b)
    except CONVERSION_ERRORS:
        return matmul(*traced_arrays((a, b)))


# ---------------------------------------------------------------------------- einsum
#
# The primitive sees explicit subscripts (letters only, one output) and operands whose
# dimensions agree for every letter: the public function expands '...', makes an implicit
# output explicit, translates the sublist form and broadcasts length-1 dimensions first.

# A sublist's integer k is the letter _LETTERS[k] (NumPy's order, so an implicit output,
# sorted by letter, is sorted by integer).
_LETTERS = string.ascii_uppercase + string.ascii_lowercase


def _rule_optimize(optimize):
    """The ``optimize`` for the contractions inside the rules: a contraction path given for
    the forward product does not fit them, so they use NumPy's greedy search instead."""
    return optimize if isinstance(optimize, (bool, str)) else "greedy"


def _fresh(subscripts, n):
    """n letters not used in subscripts."""
    free = [c for c in _LETTERS if c not in subscripts]
    if len(free) < n:
        raise ValueError("einsum: too many distinct subscripts (at most 52 letters)")
    return free[:n]


def _einsum_vjp(i):
    def rule(g, ans, *operands, subscripts, optimize):
        ins, out = subscripts.split("->")
        ins = ins.split(",")
        target = ins[i]
        others = ins[:i] + ins[i + 1:]
        present = set(out).union(*others)
        reduced = "".join(c for c in dict.fromkeys(target) if c in present)
        if others or reduced != out:
            opt = _rule_optimize(optimize)
            g = einsum(",".join([out] + others) + "->" + reduced, g,
                       *(o for j, o in enumerate(operands) if j != i), optimize=opt)
        else:
            opt = False
        return _spread(g, reduced, target, np.shape(operands[i]), subscripts, opt)
    return rule


def _spread(ct, reduced, target, shape, subscripts, optimize):
    """ct, whose subscripts are ``reduced`` (target's distinct letters that other operands
    or the output share, in target's order), as an array of ``shape`` with subscripts
    ``target``: a letter repeated in target (a diagonal) puts ct on that diagonal, zero
    elsewhere, by contracting with identity matrices; a letter only target has (summed
    within that operand alone) broadcasts ct along its dimension."""
    seen = set()
    spec_out, eyes, kept = "", [], []
    extra = iter(_fresh(subscripts, len(target)))
    for c, n in zip(target, shape):
        if c in seen:                           # a repeat: ct[.., c, ..] * eye[c, c'] at c'
            new = next(extra)
            eyes.append(c + new)
            spec_out += new
            kept.append(True)
        elif c in reduced or target.count(c) > 1:
            seen.add(c)
            spec_out += c
            kept.append(True)
        else:                                   # summed within this operand alone
            kept.append(False)
    if eyes:
        # Broadcast along each repeat (times ones), then keep the diagonal by where: a
        # contraction with an identity matrix would turn an inf or nan on the diagonal
        # into nan off it (0 * inf).
        dtype = np.result_type(strip(ct))
        ct = einsum(",".join([reduced] + eyes) + "->" + spec_out, ct,
                    *(np.ones((shape[target.index(e[0])],) * 2, dtype=dtype) for e in eyes),
                    optimize=optimize)
        ct = where(_diagonal_mask(spec_out, eyes, np.shape(strip(ct))), ct, 0)
    if not all(kept):
        ct = _reshape(ct, tuple(n if k else 1 for n, k in zip(shape, kept)))
        ct = broadcast_to(ct, shape)
    return ct


def _diagonal_mask(spec, eyes, shape):
    """True where, for each pair of letters in ``eyes``, the two indices are equal."""
    mask = np.ones(shape, dtype=bool)
    for pair in eyes:
        a, b = (spec.index(c) for c in pair)
        ia = np.arange(shape[a]).reshape([-1 if k == a else 1 for k in range(len(shape))])
        ib = np.arange(shape[b]).reshape([-1 if k == b else 1 for k in range(len(shape))])
        mask = mask & (ia == ib)
    return mask


def _einsum_jvp(i):
    def rule(x_dot, ans, *operands, subscripts, optimize):
        ops = list(operands)
        ops[i] = x_dot
        return einsum(subscripts, *ops, optimize=_rule_optimize(optimize))
    return rule


def _einsum_batch(batched, *ops, subscripts, optimize):
    """A fresh letter for the batch axis, leading the batched operands' subscripts and
    the output's.  An optimized contraction follows the order chosen for one example
    (NumPy's choice could change with the batch size, and with it the rounding); a
    batch of one is doubled, as in ``_folded``."""
    (b,) = _fresh(subscripts, 1)
    ins, out = subscripts.split("->")
    spec = ",".join(b + t if k else t for t, k in zip(ins.split(","), batched)) + "->" + b + out
    if not isinstance(optimize, (list, tuple)) and optimize:
        shapes = [np.shape(o)[1:] if k else np.shape(o) for o, k in zip(ops, batched)]
        optimize = np.einsum_path(subscripts, *(np.broadcast_to(np.float64(0), s) for s in shapes),
                                  optimize=optimize)[0]
    if not optimize or next(np.shape(o)[0] for o, k in zip(ops, batched) if k) != 1:
        return bind(einsum_p, ops, dict(subscripts=spec, optimize=optimize))
    from ._shape import concatenate, getitem
    ops = [concatenate([o, o]) if k else o for o, k in zip(ops, batched)]
    return getitem(bind(einsum_p, ops, dict(subscripts=spec, optimize=optimize)), slice(0, 1))


def _xp_einsum(xp, subscripts, ops):
    """einsum on another library's arrays: its own (the standard has none)."""
    fn = getattr(xp, "einsum", None)
    if fn is None:
        raise NotImplementedError(
            f"einsum on arrays of {xp.__name__}: the array API standard has no einsum and "
            f"this library has none of its own")
    return fn(subscripts, *ops)


einsum_p = Primitive(
    "einsum", lambda *ops, subscripts, optimize: np.einsum(subscripts, *ops, optimize=optimize),
    xp=lambda xp, *ops, subscripts, optimize: _xp_einsum(xp, subscripts, ops),
    jvp=_einsum_jvp, vjp=_einsum_vjp, batch=_einsum_batch)


def _sublist_subscripts(sublist):
    """A sublist (integers in [0, 52) and Ellipsis) as a subscripts string."""
    out = []
    for s in sublist:
        if s is Ellipsis:
            out.append("...")
        elif isinstance(s, (int, np.integer)) and not isinstance(s, bool) and 0 <= s < 52:
            out.append(_LETTERS[s])
        else:
            raise ValueError(f"einsum: subscript {s!r} in sublist {list(sublist)!r} is not an "
                             f"integer in [0, 52) or Ellipsis")
    return "".join(out)


def _einsum_args(args):
    """(subscripts string, operands) from either form: ``(subscripts, *operands)`` or
    ``(op0, sublist0, op1, sublist1, ..., [sublist_out])``."""
    if not args:
        raise TypeError("einsum: missing the subscripts and the operands")
    if isinstance(args[0], str):
        return args[0], args[1:]
    pairs, out = (args[:-1], args[-1]) if len(args) % 2 else (args, None)
    operands, sublists = pairs[0::2], pairs[1::2]
    spec = ",".join(_sublist_subscripts(s) for s in sublists)
    if out is not None:
        spec += "->" + _sublist_subscripts(out)
    return spec, operands


def _check_term(term, where):
    rest = term.replace("...", "", 1)
    if "." in rest:
        raise ValueError(f"einsum: subscripts '{term}' of {where} contain a '.' that is not "
                         f"part of one ellipsis ('...')")
    for c in rest:
        if c not in _LETTERS:
            raise ValueError(f"einsum: invalid subscript '{c}' in '{term}' of {where}: "
                             f"subscripts must be letters")


@functools.lru_cache(maxsize=512)
def _explicit_subscripts(subscripts, shapes):
    """The subscripts with '...' expanded into letters and an implicit output made
    explicit, checked against the operands' shapes; and the shape each operand is
    broadcast to (its length-1 dimensions stretched to their letter's size), as NumPy.

    >>> _explicit_subscripts("...ij,...jk", ((1, 3, 4), (5, 4, 2)))
    ('Aij,Ajk->Aik', ((5, 3, 4), (5, 4, 2)))
    """
    s = subscripts.replace(" ", "")
    ins, arrow, out = s.partition("->")
    if "-" in ins or ">" in ins or "-" in out or ">" in out:
        raise ValueError(f"einsum: subscripts '{subscripts}' do not have one proper '->'")
    ins = ins.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {len(ins)} operands in subscripts '{subscripts}' "
                         f"but {len(shapes)} arrays given")
    for k, t in enumerate(ins):
        _check_term(t, f"operand {k}")
    if arrow:
        _check_term(out, "the output")
    nells = []
    for k, (t, shape) in enumerate(zip(ins, shapes)):
        n = len(shape) - len(t.replace("...", ""))
        if "..." not in t and n != 0 or n < 0:
            raise ValueError(f"einsum: subscripts '{t}' of operand {k} do not match its "
                             f"{len(shape)} dimensions (shape {shape})")
        nells.append(n)
    nell = max(nells, default=0)
    ell = "".join(_fresh(s, nell))
    ins = [t.replace("...", ell[nell - n:]) for t, n in zip(ins, nells)]
    if not arrow:
        letters = "".join(ins)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                   and c not in ell))
    elif "..." in out:
        out = out.replace("...", ell)
    elif nell:
        raise ValueError(f"einsum: the output '{out}' has no '...' for the {nell} dimensions "
                         f"the operands' ellipses cover")
    for c in out:
        if out.count(c) > 1:
            raise ValueError(f"einsum: output subscript '{c}' appears more than once")
        if not any(c in t for t in ins):
            raise ValueError(f"einsum: output subscript '{c}' appears in no operand")
    sizes = {}
    for k, (t, shape) in enumerate(zip(ins, shapes)):
        mine = {}
        for c, n in zip(t, shape):
            if mine.setdefault(c, n) != n:
                raise ValueError(f"einsum: subscript '{c}' repeated in operand {k} "
                                 f"(shape {shape}) stands for dimensions of different sizes")
            m = sizes.setdefault(c, n)
            if m != n and 1 not in (m, n):
                raise ValueError(f"einsum: subscript '{c}' has size {m} in one operand and "
                                 f"{n} in operand {k}; they must agree or be 1")
            if m == 1:
                sizes[c] = n
    targets = tuple(tuple(sizes[c] for c in t) for t in ins)
    return ",".join(ins) + "->" + out, targets


def einsum(*operands, **kwargs):
    """Differentiable ``numpy.einsum``, in both of NumPy's forms, to any order.

    Subscripts as a string (``'ij,jk->ik'``, ``'...ii->...i'``, an implicit output
    ``'ij,jk'``) or interleaved sublists (``einsum(a, [0, 1], b, [1, 2], [0, 2])``, with
    ``Ellipsis`` for ``...``); a repeated subscript takes a diagonal; length-1 dimensions
    broadcast.  ``optimize`` is NumPy's.  On traced operands ``out``, ``dtype``, ``order``
    and ``casting`` are not supported.

        >>> dualrev.grad(lambda a: einsum('ii->', a))(np.ones((2, 2)))     # trace: eye
    """
    try:
        if all(map(plain, operands)):
            return np.einsum(*operands, **kwargs)
        subscripts, ops = _einsum_args(operands)
        optimize = kwargs.get("optimize", False)
        if kwargs.keys() - {"optimize"}:
            raise TypeError(f"einsum: {', '.join(sorted(kwargs.keys() - {'optimize'}))} not "
                            f"supported on traced operands")
        spec, targets = _explicit_subscripts(subscripts, tuple(np.shape(strip(o)) for o in ops))
        ops = tuple(o if np.shape(strip(o)) == t else
                    broadcast_to(o, t) for o, t in zip(ops, targets))
        return bind(einsum_p, ops, dict(subscripts=spec, optimize=optimize))
    except CONVERSION_ERRORS:
        if not operands:
            raise
        if isinstance(operands[0], str):
            packed = operands[:1] + tuple(array_of(o) for o in operands[1:])
        else:
            packed = tuple(array_of(o) if k % 2 == 0 else o for k, o in enumerate(operands))
        if all(p is o for p, o in zip(packed, operands)):
            raise
        return einsum(*packed, **kwargs)


@dispatching_composite(np.dot)
def dot(a, b):
    """Differentiable ``numpy.dot``."""
    if plain(a) and plain(b):
        try:
            return np.dot(a, b)
        except CONVERSION_ERRORS:
            a, b = traced_arrays((a, b))
    elif isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        a, b = array_of(a), array_of(b)
    na, nb = np.ndim(strip(a)), np.ndim(strip(b))
    if na == 0 or nb == 0:
        return multiply(a, b)
    if nb <= 2:
        return matmul(a, b)
    letters = string.ascii_letters
    sa = letters[:na]
    sb = letters[na:na + nb - 2] + sa[-1] + letters[na + nb - 2]
    return einsum(f"{sa},{sb}->{sa[:-1]}{sb[:-2]}{sb[-1]}", a, b)


@dispatching_composite(np.outer)
def outer(a, b):
    """Differentiable ``numpy.outer``."""
    if plain(a) and plain(b):
        try:
            return np.outer(a, b)
        except CONVERSION_ERRORS:
            a, b = traced_arrays((a, b))
    return multiply(_column(a), _row(b))


def _column(a):
    a = ravel(a)
    return _reshape(a, np.shape(strip(a)) + (1,))


def _row(b):
    b = ravel(b)
    return _reshape(b, (1,) + np.shape(strip(b)))

