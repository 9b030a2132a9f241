"""Products: matmul and einsum primitives; dot and outer built on them."""
import string

import numpy as np

from ..core import Primitive, Tracer, bind, strip
from ._elementwise import multiply
from ._shape import _reshape, broadcast_to, expand_dims, ravel, swapaxes


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
    if nb == 1:                                   # (..., m, k) @ (k,)
        return _reshape(matmul(_mT(a), expand_dims(g, -1)), np.shape(g)[:-1] + (np.shape(a)[-1],))
    return matmul(_mT(a), g)


matmul_p = Primitive(
    "matmul", np.matmul,
    jvp=(lambda a_dot, ans, a, b: matmul(a_dot, b), lambda b_dot, ans, a, b: matmul(a, b_dot)),
    vjp=(_matmul_vjp_a, _matmul_vjp_b))


def matmul(a, b):
    """Differentiable ``numpy.matmul`` (the ``@`` operator)."""
    if isinstance(a, Tracer) or isinstance(b, Tracer):
        if np.ndim(strip(a)) == 0 or np.ndim(strip(b)) == 0:
            raise ValueError("matmul: Input operand does not have enough dimensions")
        return bind(matmul_p, (a, b))
    return np.matmul(a, b)


def _einsum_vjp(i):
    def rule(g, ans, *operands, subscripts):
        ins, out = subscripts.split("->")
        ins = ins.split(",")
        target = ins[i]
        if len(set(target)) != len(target):
            raise NotImplementedError(
                f"einsum: the derivative with respect to an operand with a repeated "
                f"index ('{target}', a diagonal) is not supported")
        others = [s for j, s in enumerate(ins) if j != i]
        present = set(out).union(*others)
        reduced = "".join(c for c in target if c in present)
        spec = ",".join([out] + others) + "->" + reduced
        ct = einsum(spec, g, *[o for j, o in enumerate(operands) if j != i])
        shape = np.shape(operands[i])
        if reduced != target:   # indices summed out of operand i alone: broadcast back
            ct = _reshape(ct, tuple(shape[k] if c in present else 1 for k, c in enumerate(target)))
            ct = broadcast_to(ct, shape)
        return ct
    return rule


def _einsum_jvp(i):
    def rule(x_dot, ans, *operands, subscripts):
        ops = list(operands)
        ops[i] = x_dot
        return einsum(subscripts, *ops)
    return rule


einsum_p = Primitive(
    "einsum", lambda *ops, subscripts: np.einsum(subscripts, *ops),
    jvp=_einsum_jvp, vjp=_einsum_vjp)


def _explicit_subscripts(subscripts, shapes):
    """Expand '...' and implicit output so every operand has plain letters."""
    subscripts = subscripts.replace(" ", "")
    ins, arrow, out = subscripts.partition("->")
    ins = ins.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {len(ins)} operands in subscripts '{subscripts}' "
                         f"but {len(shapes)} arrays given")
    used = set("".join(ins) + out)
    free = [c for c in string.ascii_letters if c not in used]
    nell = max((len(s) - len(t.replace("...", "")) for t, s in zip(ins, shapes) if "..." in t),
               default=0)
    ell = "".join(free[:nell])
    ins = [t.replace("...", ell[nell - (len(s) - len(t.replace("...", ""))):]) for t, s in zip(ins, shapes)]
    if not arrow:
        counts = {c: "".join(ins).count(c) for c in set("".join(ins))}
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    else:
        out = out.replace("...", ell)
    for t, s in zip(ins, shapes):
        if len(t) != len(s):
            raise ValueError(f"einsum: subscripts '{t}' do not match an operand of shape {s}")
    return ",".join(ins) + "->" + out


def einsum(subscripts, *operands):
    """Differentiable ``numpy.einsum`` (string subscripts)."""
    if not any(isinstance(o, Tracer) for o in operands):
        return np.einsum(subscripts, *operands)
    spec = _explicit_subscripts(subscripts, [np.shape(strip(o)) for o in operands])
    return bind(einsum_p, operands, dict(subscripts=spec))


def dot(a, b):
    """Differentiable ``numpy.dot``."""
    if not (isinstance(a, Tracer) or isinstance(b, Tracer)):
        return np.dot(a, b)
    na, nb = np.ndim(strip(a)), np.ndim(strip(b))
    if na == 0 or nb == 0:
        return multiply(a, b)
    if nb <= 2:
        return matmul(a, b)
    letters = string.ascii_letters
    sa = letters[:na]
    sb = letters[na:na + nb - 2] + sa[-1] + letters[na + nb - 2]
    return einsum(f"{sa},{sb}->{sa[:-1]}{sb[:-2]}{sb[-1]}", a, b)


def outer(a, b):
    """Differentiable ``numpy.outer``."""
    if not (isinstance(a, Tracer) or isinstance(b, Tracer)):
        return np.outer(a, b)
    return multiply(_column(a), _row(b))


def _column(a):
    a = ravel(a)
    return _reshape(a, np.shape(strip(a)) + (1,))


def _row(b):
    b = ravel(b)
    return _reshape(b, (1,) + np.shape(strip(b)))

