"""Every registered primitive, checked against JAX, finite differences and itself.

``TABLE`` maps each name in ``dualrev.core.registry`` to the cases that reach
that primitive through the public ``dualrev.numpy`` API.  A case is a function
``fn(m, *args)`` written once for both array namespaces (``m`` is
``dualrev.numpy`` or ``jax.numpy``), plus its inputs.  Every case is run
through:

* values and forward/reverse Jacobians against ``jax.jacfwd``/``jax.jacrev``,
  the gradient of a fixed random weighting ``sum(w * f)`` against JAX's
  Jacobian contracted with ``w``, and four second-order compositions
  (``hessian``, rev-over-rev, fwd-over-fwd, rev-over-fwd) against
  ``jax.hessian``;
* central finite differences of the first derivative;
* the adjoint identity <jvp(v), w> == <v, vjp(w)> at hypothesis-drawn values;
* float32 inputs: dtypes (and values) of outputs and derivatives;
* a spy on the primitives' implementations, to confirm the case really
  reaches the primitive it is listed under.

Further tests draw shapes with hypothesis for the adjoint identity, and pin
the conventions at non-differentiable points against JAX.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from dualrev.nn import functional as F
from dualrev.numpy._shape import set_item
from helpers import (AD, assert_tree_close, assert_tree_dtypes, dnp, dualrev, jax, jnp,
                     leaves, numerical_jacobian, seed_for, to_numpy, vdot)
from table import F32, F64, TABLE, Arg, Case, ad, case, load_groups  # noqa: F401


# ============================================================================ the table

# ---------------------------------------------------------------- elementwise, unary

UNARY = {"negative": (-3, 3), "exp": (-2, 2), "log": (0.2, 3), "sin": (-3, 3),
         "cos": (-3, 3), "tan": (-1.2, 1.2), "tanh": (-2, 2), "sinh": (-2, 2),
         "cosh": (-2, 2), "sqrt": (0.2, 3), "square": (-2, 2), "abs": (-2, 2)}
for _name, (_lo, _hi) in UNARY.items():
    case(_name, "2x3", lambda m, x, _n=_name: getattr(m, _n)(x), Arg(2, 3, lo=_lo, hi=_hi))
for _name in ("exp", "log", "sqrt", "abs", "tanh"):
    _lo, _hi = UNARY[_name]
    case(_name, "0d", lambda m, x, _n=_name: getattr(m, _n)(x), Arg(lo=_lo, hi=_hi))
case("negative", "operator", lambda m, x: -x, Arg(3, 2))
case("abs", "builtin_abs", lambda m, x: abs(x), Arg(4))
case("abs", "absolute", lambda m, x: m.absolute(x), Arg(2, 2))
case("square", "x_squared_twice", lambda m, x: m.square(m.square(x)), Arg(3))
case("exp", "composed", lambda m, x: m.exp(m.sin(x)) * m.cos(x), Arg(2, 2))

# ---------------------------------------------------------------- elementwise, binary

BINARY = {
    "add": (lambda m: m.add, Arg, dict(), dict()),
    "subtract": (lambda m: m.subtract, Arg, dict(), dict()),
    "multiply": (lambda m: m.multiply, Arg, dict(), dict()),
    "divide": (lambda m: m.divide, Arg, dict(), dict(lo=0.5, hi=2.0, signed=True)),
    "power": (lambda m: m.power, Arg, dict(lo=0.5, hi=2.0), dict(lo=-1.5, hi=2.5)),
    "maximum": (lambda m: m.maximum, Arg, dict(), dict()),
    "minimum": (lambda m: m.minimum, Arg, dict(), dict()),
}
# remainder and fmod: both signs of dividend and divisor (where the two differ), the
# dividend over several periods.
BINARY.update({
    "remainder": (lambda m: m.remainder, Arg, dict(lo=-4.0, hi=4.0), dict(lo=0.5, hi=2.0, signed=True)),
    "fmod": (lambda m: m.fmod, Arg, dict(lo=-4.0, hi=4.0), dict(lo=0.5, hi=2.0, signed=True)),
})
BINARY_SHAPES = {"same_2x3": ((2, 3), (2, 3)), "bcast_3x1_4": ((3, 1), (4,)),
                 "bcast_0d_2x3": ((), (2, 3)), "bcast_2x3_0d": ((2, 3), ()),
                 "bcast_2x1x3_4x1": ((2, 1, 3), (4, 1))}
for _name, (_op, _, _kx, _ky) in BINARY.items():
    for _sname, (_sx, _sy) in BINARY_SHAPES.items():
        if _sname == "bcast_2x3_0d" and _name not in ("divide", "power", "subtract"):
            continue   # symmetric operations: bcast_0d_2x3 covers it
        case(_name, _sname, lambda m, x, y, _op=_op: _op(m)(x, y), Arg(*_sx, **_kx), Arg(*_sy, **_ky))

case("add", "operator_const", lambda m, x: x + 1.5, Arg(2, 3))
case("add", "operator_rconst", lambda m, x: 1.5 + x, Arg(2, 3))
case("add", "same_tracer", lambda m, x: x + x, Arg(3))
case("add", "const_array", lambda m, c, x: m.add(c, x), np.arange(3.0), Arg(2, 3), diff=(1,))
case("subtract", "operator", lambda m, x, y: x - y, Arg(3, 1), Arg(2))
case("subtract", "operator_rconst", lambda m, x: 2.0 - x, Arg(2, 3))
case("multiply", "operator_same_tracer", lambda m, x: x * x, Arg(2, 3))
case("multiply", "operator_rconst", lambda m, x: 3.0 * x, Arg(2, 3))
case("outer", "3_4", lambda m, x, y: m.outer(x, y), Arg(3), Arg(4))
case("multiply", "mixed_dtype_f32_f64", lambda m, x, y: m.multiply(x, y),
     Arg(2, 3, dtype=F32), Arg(2, 3))
case("divide", "operator_rconst", lambda m, x: 1.0 / x, Arg(2, 3, lo=0.5, hi=2, signed=True))
case("divide", "operator_const", lambda m, x: x / 4.0, Arg(2, 3))
case("mean", "axis_1", lambda m, x: m.mean(x, axis=1), Arg(2, 3))
case("power", "const_int_3", lambda m, x: x ** 3, Arg(2, 3))
case("power", "const_float_0", lambda m, x: x ** 0.0, Arg(2, 3))
case("power", "const_float_half", lambda m, x: x ** 0.5, Arg(2, 3, lo=0.3, hi=3))
case("power", "const_float_2", lambda m, x: m.power(x, 2.0), Arg(2, 3))
case("power", "const_array", lambda m, x, c: m.power(x, c),
     Arg(2, 3, lo=0.5, hi=2.0), np.array([2.0, -1.0, 0.0]), diff=(0,))
case("power", "traced_operator", lambda m, x, y: x ** y, Arg(2, 3, lo=0.5, hi=2), Arg(3, lo=-1, hi=2))
case("power", "traced_exponent_const_base", lambda m, y: 2.0 ** y, Arg(2, 3))
case("power", "traced_exponent_base_with_zero", lambda m, c, y: m.power(c, y),
     np.array([0.0, 1.5, 2.0]), Arg(3, lo=1.0, hi=3.0), diff=(1,))
# A zero base with exponents >= 2: finite first and second derivatives.  Not
# a finite-difference case: the base cannot step below zero (nan).
case("power", "traced_zero_base", lambda m, x, y: x ** y,
     np.array([0.0, 1.3, 0.0]), np.array([2.0, 2.5, 3.0]), fd=False)

# Ties: the derivative splits 0.5/0.5 (a non-smooth point, so no finite differences).
_TIE_X, _TIE_Y = np.array([1.0, 2.0, -3.0, 0.5]), np.array([1.0, 0.0, -3.0, 0.7])
case("maximum", "ties", lambda m, x, y: m.maximum(x, y), _TIE_X, _TIE_Y, fd=False)
case("minimum", "ties", lambda m, x, y: m.minimum(x, y), _TIE_X, _TIE_Y, fd=False)
case("maximum", "relu_const", lambda m, x: m.maximum(x, 0.0), Arg(2, 3))
case("minimum", "const_array", lambda m, c, x: m.minimum(c, x), np.array([0.5, -0.5, 0.0]),
     Arg(2, 3), diff=(1,))
case("maximum", "mixed_dtype_f32_f64", lambda m, x, y: m.maximum(x, y),
     Arg(2, 3, dtype=F32), Arg(3))

_DIVIDEND, _DIVISOR = dict(lo=-4.0, hi=4.0), dict(lo=0.5, hi=2.0, signed=True)
for _name in ("remainder", "fmod"):
    case(_name, "bcast_2x3_0d", lambda m, x, y, _n=_name: getattr(m, _n)(x, y),
         Arg(2, 3, **_DIVIDEND), Arg(**_DIVISOR))
    case(_name, "const_divisor", lambda m, x, _n=_name: getattr(m, _n)(x, -1.5), Arg(2, 3, **_DIVIDEND))
    case(_name, "const_dividend", lambda m, y, _n=_name: getattr(m, _n)(2.5, y), Arg(2, 3, **_DIVISOR))
    case(_name, "mixed_dtype_f32_f64", lambda m, x, y, _n=_name: getattr(m, _n)(x, y),
         Arg(2, 3, dtype=F32, **_DIVIDEND), Arg(3, **_DIVISOR))
    case(_name, "composed", lambda m, x, y, _n=_name: m.sin(getattr(m, _n)(x * x, y)) * y,
         Arg(2, 3, lo=-2.0, hi=2.0), Arg(3, **_DIVISOR))
    # x / y integral: the jump itself; d/dy is -x/y there (JAX's convention, no
    # finite differences across the jump).
    case(_name, "integral_quotients", lambda m, x, y, _n=_name: getattr(m, _n)(x, y),
         np.array([4.0, -4.0, 3.0, -3.0, 0.0, 4.5]), np.array([2.0, 2.0, -1.5, -1.5, 2.0, -1.5]),
         fd=False)
case("remainder", "operator", lambda m, x, y: x % y, Arg(2, 3, **_DIVIDEND), Arg(3, **_DIVISOR))
case("remainder", "operator_const", lambda m, x: x % 0.75, Arg(2, 3, **_DIVIDEND))
case("remainder", "operator_rconst", lambda m, y: 2.5 % y, Arg(2, 3, **_DIVISOR))
case("remainder", "mod", lambda m, x, y: m.mod(x, y), Arg(2, 3, **_DIVIDEND), Arg(2, 3, **_DIVISOR))
case("remainder", "same_tracer", lambda m, x: x % (x * 0.3 + 1.7), Arg(4, lo=0.0, hi=4.0))

# ---------------------------------------------------------------- where, astype

_COND = np.array([[True, False, True], [False, False, True]])
case("where", "traced_cond_bcast_3x1_4", lambda m, x, y: m.where(x > 0.5, x, y), Arg(3, 1), Arg(4))
case("where", "const_cond_bcast", lambda m, x, y: m.where(_COND, x, y), Arg(3), Arg())
case("where", "const_else", lambda m, x: m.where(_COND, x, 0.0), Arg(2, 3))
case("where", "const_then", lambda m, y: m.where(_COND, 1.0, y), Arg(2, 3))
case("where", "same_tracer", lambda m, x: m.where(x > 0, m.sin(x), x * x), Arg(2, 3))
case("where", "mixed_dtype_f32_f64", lambda m, x, y: m.where(_COND, x, y),
     Arg(2, 3, dtype=F32), Arg(2, 3))

# float32 rounding of the output (or input) spoils float64 finite differences.
case("astype", "f64_to_f32", lambda m, x: m.astype(x, np.float32), Arg(2, 3), fd=False)
case("astype", "f32_to_f64", lambda m, x: m.astype(x, np.float64), Arg(2, 3, dtype=F32), fd=False)
case("astype", "method_f32_to_f64", lambda m, x: m.sin(x.astype(np.float64)) * x.astype(np.float64),
     Arg(3, dtype=F32), fd=False)

# ---------------------------------------------------------------- shapes

case("broadcast_to", "3_to_2x3", lambda m, x: m.broadcast_to(x, (2, 3)), Arg(3))
case("broadcast_to", "0d_to_2x3", lambda m, x: m.broadcast_to(x, (2, 3)), Arg())
case("broadcast_to", "3x1_to_2x3x4", lambda m, x: m.broadcast_to(x, (2, 3, 4)), Arg(3, 1))

case("reshape", "2x3_to_3x2", lambda m, x: m.reshape(x, (3, 2)), Arg(2, 3))
case("reshape", "minus_one", lambda m, x: m.reshape(x, (-1,)), Arg(2, 3))
case("ravel", "2x2", lambda m, x: m.ravel(x), Arg(2, 2))
case("reshape", "method", lambda m, x: x.reshape(2, 6), Arg(3, 4))
case("expand_dims", "axis1", lambda m, x: m.expand_dims(x, 1), Arg(2, 3))
case("squeeze", "all", lambda m, x: m.squeeze(x), Arg(2, 1, 3))
case("squeeze", "axis", lambda m, x: m.squeeze(x, axis=1), Arg(2, 1, 1))
case("reshape", "0d_to_1x1", lambda m, x: m.reshape(x, (1, 1)), Arg())

case("transpose", "default", lambda m, x: m.transpose(x), Arg(2, 3))
case("transpose", "axes_120", lambda m, x: m.transpose(x, (1, 2, 0)), Arg(2, 3, 2))
case("transpose", "negative_axes", lambda m, x: m.transpose(x, (-1, 0, 1)), Arg(2, 3, 2))
case("swapaxes", "0_2", lambda m, x: m.swapaxes(x, 0, 2), Arg(2, 1, 3))
case("moveaxis", "0_to_last", lambda m, x: m.moveaxis(x, 0, -1), Arg(2, 3, 2))
case("transpose", "T", lambda m, x: x.T, Arg(3, 2))
case("transpose", "mT", lambda m, x: x.mT, Arg(2, 3, 2))

_DUP = np.array([0, 0, 2])
case("getitem", "basic_slices", lambda m, x: x[1:, ::2], Arg(3, 4))
case("getitem", "ellipsis_newaxis", lambda m, x: x[..., None], Arg(2, 3))
case("getitem", "int_array_duplicates", lambda m, x: x[_DUP], Arg(4, 3))
case("getitem", "int_array_2d_index", lambda m, x: x[np.array([[0, 1], [1, 1]]), :], Arg(3, 2))
case("getitem", "int_array_and_slice", lambda m, x: x[:, np.array([2, 0, 2]), 1:], Arg(2, 3, 3))
case("getitem", "two_int_arrays", lambda m, x: x[np.array([0, 1, 1]), np.array([2, 0, 2])], Arg(2, 3))
case("getitem", "scalar_int", lambda m, x: x[-1], Arg(3, 2))
case("getitem", "to_0d", lambda m, x: x[0, 1], Arg(2, 3))
case("getitem", "reverse", lambda m, x: x[::-1], Arg(4))
case("getitem", "bool_mask", lambda m, x: x[np.array([True, False, True, True])], Arg(4, 2))


def _getitem_pullback(idx):
    return lambda m, x0, ct: ad(m).vjp(lambda x: x[idx], x0)[1](ct)[0]


# scatter_add is reached as getitem's VJP (and concatenate's JVP): the case is
# that pullback (or pushforward) as a function of the cotangent (tangent).
case("scatter_add", "vjp_of_basic_slice", _getitem_pullback((slice(1, None), slice(None, None, 2))),
     Arg(3, 4), Arg(2, 2), diff=(1,))
case("scatter_add", "vjp_of_dup_int_array", _getitem_pullback(_DUP), Arg(4, 3), Arg(3, 3), diff=(1,))
case("scatter_add", "vjp_of_two_int_arrays",
     _getitem_pullback((np.array([0, 1, 1]), np.array([2, 0, 2]))), Arg(2, 3), Arg(3), diff=(1,))
case("scatter_add", "jvp_of_concatenate",
     lambda m, x, y, tx: ad(m).jvp(lambda a: m.concatenate([a, y], axis=1), (x,), (tx,))[1],
     Arg(2, 2), Arg(2, 3), Arg(2, 2), diff=(2,))

def _set_item(m, x, idx, v):
    """``x[idx] = v`` out of place: JAX's ``x.at[idx].set(v)``."""
    return x.at[idx].set(v) if m is jnp else set_item(x, idx, v)


case("set_item", "slice_and_int_scalar_value", lambda m, x, v: _set_item(m, x, (slice(1, None), 0), v),
     Arg(3, 2), Arg())
case("set_item", "broadcast_row", lambda m, x, v: _set_item(m, x, slice(0, 2), v), Arg(3, 4), Arg(4))
case("set_item", "int_array", lambda m, x, v: _set_item(m, x, np.array([2, 0]), v), Arg(3, 2),
     Arg(2, 2))
case("set_item", "repeated_rows_value_of_the_same_shape",
     lambda m, x, v: _set_item(m, x, np.array([0, 0]), v), Arg(1, 3), Arg(1, 3))
case("set_item", "everything", lambda m, x, v: _set_item(m, x, Ellipsis, v), Arg(2, 3), Arg(2, 3))
case("set_item", "const_value", lambda m, x, v: _set_item(m, x, (0, slice(None)), v), Arg(2, 3),
     np.array([1.0, -2.0, 0.5]), diff=(0,))

case("sigmoid", "2x3", lambda m, x: jax.nn.sigmoid(x) if m is jnp else F.sigmoid(x),
     Arg(2, 3, lo=-4, hi=4))
case("sigmoid", "tails", lambda m, x: jax.nn.sigmoid(x) if m is jnp else F.sigmoid(x),
     np.array([-40.0, -6.0, 0.0, 6.0, 40.0]))

case("concatenate", "axis1_three", lambda m, x, y, z: m.concatenate([x, y, z], axis=1),
     Arg(2, 1), Arg(2, 3), Arg(2, 2))
case("concatenate", "axis_minus1", lambda m, x, y: m.concatenate([x, y], axis=-1), Arg(2, 2), Arg(2, 1))
case("concatenate", "axis0_with_const", lambda m, x, c, y: m.concatenate([x, c, y]),
     Arg(2, 3), np.ones((1, 3)), Arg(1, 3), diff=(0, 2))
case("concatenate", "axis_none", lambda m, x, y: m.concatenate([x, y], axis=None), Arg(2, 2), Arg(3))
case("concatenate", "same_tracer", lambda m, x: m.concatenate([x, x * 2.0]), Arg(3))
case("concatenate", "mixed_dtype_f32_f64", lambda m, x, y: m.concatenate([x, y]),
     Arg(2, dtype=F32), Arg(3))
case("stack", "axis0", lambda m, x, y: m.stack([x, y]), Arg(2, 3), Arg(2, 3))
case("stack", "axis1", lambda m, x, y: m.stack([x, y], axis=1), Arg(2, 3), Arg(2, 3))
case("stack", "axis_minus1", lambda m, x, y, z: m.stack([x, y, z], axis=-1),
     Arg(2), Arg(2), Arg(2))

# ---------------------------------------------------------------- products

case("einsum", "ij_jk_ik", lambda m, x, y: m.einsum("ij,jk->ik", x, y), Arg(2, 3), Arg(3, 2))
case("einsum", "ij_i", lambda m, x: m.einsum("ij->i", x), Arg(2, 3))
case("einsum", "ellipsis_dot", lambda m, x, y: m.einsum("...i,...i->...", x, y), Arg(2, 3), Arg(2, 3))
case("einsum", "ellipsis_dot_bcast", lambda m, x, y: m.einsum("...i,...i->...", x, y),
     Arg(2, 1, 3), Arg(2, 3))
case("einsum", "i_i_implicit", lambda m, x, y: m.einsum("i,i", x, y), Arg(4), Arg(4))
case("einsum", "bij_bjk_bik", lambda m, x, y: m.einsum("bij,bjk->bik", x, y), Arg(2, 2, 3), Arg(2, 3, 2))
case("einsum", "ij_j_scalar", lambda m, x, y: m.einsum("ij,j->", x, y), Arg(2, 3), Arg(3))
case("einsum", "three_operands", lambda m, x, y, z: m.einsum("ij,jk,kl->il", x, y, z),
     Arg(2, 3), Arg(3, 2), Arg(2, 2))
case("einsum", "implicit_transpose", lambda m, x: m.einsum("ji", x), Arg(2, 3))
case("dot", "2d_3d", lambda m, x, y: m.dot(x, y), Arg(2, 3), Arg(2, 3, 2),
     strict="dot of a 3-d array is an einsum, not in the array API standard")
# A subscript repeated within one operand: a diagonal (its cotangent lies on the diagonal).
case("einsum", "trace_ii", lambda m, x: m.einsum("ii->", x), Arg(3, 3))
case("einsum", "trace_implicit", lambda m, x: m.einsum("ii", x), Arg(3, 3))
case("einsum", "diagonal_ii_i", lambda m, x: m.einsum("ii->i", x), Arg(3, 3))
case("einsum", "diagonal_iii_i", lambda m, x: m.einsum("iii->i", x), Arg(2, 2, 2))
case("einsum", "diagonal_of_second_ij_jj_i", lambda m, x, y: m.einsum("ij,jj->i", x, y),
     Arg(2, 3), Arg(3, 3))
case("einsum", "diagonal_iij_j", lambda m, x: m.einsum("iij->j", x), Arg(3, 3, 2))
case("einsum", "diagonal_ij_ii_ij", lambda m, x, y: m.einsum("ij,ii->ij", x, y), Arg(3, 2), Arg(3, 3))
case("einsum", "diagonals_in_both_ii_ii_i", lambda m, x, y: m.einsum("ii,ii->i", x, y),
     Arg(3, 3), Arg(3, 3))
case("einsum", "same_tracer_diagonal", lambda m, x: m.einsum("ij,jj->i", x, x), Arg(3, 3))
case("einsum", "diagonal_and_summed_alone_iijk_l_l", lambda m, x, y: m.einsum("iijk,l->l", x, y),
     Arg(2, 2, 3, 2), Arg(4))
case("einsum", "diagonal_not_first_jiki_ijk", lambda m, x: m.einsum("jiki->ijk", x), Arg(2, 3, 2, 3))
# '...' at the start, in the middle, at the end, on a diagonal; length-1 dimensions broadcast.
case("einsum", "ellipsis_bcast_1x3x4_5x4x2", lambda m, x, y: m.einsum("...ij,...jk->...ik", x, y),
     Arg(1, 3, 4), Arg(5, 4, 2))
case("einsum", "ellipsis_middle", lambda m, x, y: m.einsum("i...j,j...->i...", x, y),
     Arg(2, 4, 3), Arg(3, 4))
case("einsum", "ellipsis_end", lambda m, x, y: m.einsum("ij...,jk...->ik...", x, y),
     Arg(2, 3, 2, 1), Arg(3, 2, 3))
case("einsum", "ellipsis_empty", lambda m, x, y: m.einsum("...ij,jk->...ik", x, y), Arg(2, 3), Arg(3, 2))
case("einsum", "ellipsis_diagonal", lambda m, x: m.einsum("...ii->...i", x), Arg(2, 3, 3))
case("einsum", "ellipsis_implicit", lambda m, x, y: m.einsum("...ij,...j", x, y), Arg(2, 3, 2), Arg(1, 2))
case("einsum", "label_bcast", lambda m, x, y: m.einsum("ij,jk->ik", x, y), Arg(2, 1), Arg(4, 3))
case("einsum", "scalar_operand", lambda m, x, y: m.einsum("i,->i", x, y), Arg(3), Arg())
case("einsum", "spaces", lambda m, x, y: m.einsum(" ij , jk -> ik ", x, y), Arg(2, 3), Arg(3, 2))
# Interleaved operands and sublists (integers, Ellipsis).
case("einsum", "sublist", lambda m, x, y: m.einsum(x, [0, 1], y, [1, 2], [0, 2]), Arg(2, 3), Arg(3, 2))
case("einsum", "sublist_implicit", lambda m, x, y: m.einsum(x, [1, 0], y, [0, 2]), Arg(3, 2), Arg(2, 4))
case("einsum", "sublist_ellipsis", lambda m, x, y: m.einsum(x, [Ellipsis, 0, 1], y, [1, 2],
                                                            [Ellipsis, 0, 2]), Arg(2, 2, 3), Arg(3, 2))
case("einsum", "sublist_diagonal", lambda m, x: m.einsum(x, [0, 0], [0]), Arg(3, 3))
case("einsum", "optimize_true", lambda m, x, y, z: m.einsum("ij,jk,kl->il", x, y, z, optimize=True),
     Arg(2, 3), Arg(3, 4), Arg(4, 2))
case("einsum", "optimize_greedy_diagonal",
     lambda m, x, y, z: m.einsum("ij,jj,jk->ik", x, y, z, optimize="greedy"),
     Arg(2, 3), Arg(3, 3), Arg(3, 2))

# x @ w.T: the cotangents of an operand stored transposed are computed in its layout.
case("matmul", "transposed_operands", lambda m, x, w: x.T @ w.T, Arg(4, 3), Arg(5, 4))
case("matmul", "2d_2d", lambda m, x, y: m.matmul(x, y), Arg(2, 3), Arg(3, 2))
case("matmul", "1d_2d", lambda m, x, y: x @ y, Arg(3), Arg(3, 2))
case("matmul", "2d_1d", lambda m, x, y: x @ y, Arg(2, 3), Arg(3))
case("matmul", "1d_1d", lambda m, x, y: x @ y, Arg(3), Arg(3))
case("matmul", "batched_bcast", lambda m, x, y: m.matmul(x, y), Arg(2, 1, 2, 3), Arg(3, 3, 2))
case("matmul", "batched_2d", lambda m, x, y: x @ y, Arg(2, 2, 3), Arg(3, 2))
case("matmul", "1d_batched", lambda m, x, y: x @ y, Arg(3), Arg(2, 3, 2))
case("matmul", "batched_1d", lambda m, x, y: x @ y, Arg(2, 2, 3), Arg(3))
case("dot", "2d", lambda m, x, y: m.dot(x, y), Arg(2, 3), Arg(3, 2))
case("matmul", "same_tracer", lambda m, x: x @ x, Arg(2, 2))

# ---------------------------------------------------------------- reductions

case("sum", "axis_none", lambda m, x: m.sum(x), Arg(2, 3, 2))
case("sum", "axis_0", lambda m, x: m.sum(x, axis=0), Arg(2, 3, 2))
case("sum", "axis_0_2", lambda m, x: m.sum(x, axis=(0, 2)), Arg(2, 3, 2))
case("sum", "keepdims_axis1", lambda m, x: m.sum(x, axis=1, keepdims=True), Arg(2, 3, 2))
case("sum", "keepdims_none", lambda m, x: m.sum(x, keepdims=True), Arg(2, 3))
case("sum", "axis_minus1", lambda m, x: m.sum(x, axis=-1), Arg(2, 3))
case("sum", "method", lambda m, x: x.sum(axis=1), Arg(3, 2))
case("sum", "0d", lambda m, x: m.sum(x), Arg())
case("sum", "keepdims_length1_axis", lambda m, x: m.sum(x, axis=1, keepdims=True), Arg(3, 1))
case("mean", "axis_0_2_keepdims", lambda m, x: m.mean(x, axis=(0, 2), keepdims=True), Arg(2, 3, 2))

for _name in ("max", "min"):
    case(_name, "axis_none", lambda m, x, _n=_name: getattr(m, _n)(x), Arg(2, 3))
    case(_name, "axis_1", lambda m, x, _n=_name: getattr(m, _n)(x, axis=1), Arg(2, 3))
    case(_name, "axis_0_2_keepdims",
         lambda m, x, _n=_name: getattr(m, _n)(x, axis=(0, 2), keepdims=True), Arg(2, 3, 2))
    case(_name, "method", lambda m, x, _n=_name: getattr(x, _n)(axis=0), Arg(3, 2))
    # Reducing a length-1 axis with keepdims: the output has the input's shape.
    case(_name, "keepdims_length1_axis",
         lambda m, x, _n=_name: getattr(m, _n)(x, axis=1, keepdims=True), Arg(3, 1))
# Ties split the derivative evenly (2-way and 3-way); non-smooth, so no finite differences.
_TIES = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0], [-1.0, 0.5, 0.25]])
for _name in ("max", "min"):
    case(_name, "ties_axis_none", lambda m, x, _n=_name: getattr(m, _n)(x), _TIES[:2], fd=False)
    case(_name, "ties_axis_1", lambda m, x, _n=_name: getattr(m, _n)(x, axis=1), _TIES, fd=False)
    case(_name, "ties_axis_0", lambda m, x, _n=_name: getattr(m, _n)(x, axis=0), _TIES, fd=False)

case("prod", "axis_none", lambda m, x: m.prod(x), Arg(2, 3, lo=0.5, hi=1.5, signed=True))
case("prod", "axis_1", lambda m, x: m.prod(x, axis=1), Arg(3, 4))
case("prod", "axis_0_1_keepdims", lambda m, x: m.prod(x, axis=(0, 1), keepdims=True), Arg(2, 2, 3))
case("prod", "method", lambda m, x: x.prod(axis=0), Arg(3, 2))
case("prod", "keepdims_length1_axis", lambda m, x: m.prod(x, axis=1, keepdims=True), Arg(3, 1))
_ONE_ZERO = np.array([[1.5, 0.0, -2.0], [0.5, 1.2, -0.7]])
_TWO_ZEROS = np.array([[0.0, 1.5, 0.0, 2.0], [1.1, -0.6, 0.9, 1.3]])
case("prod", "one_zero_axis_1", lambda m, x: m.prod(x, axis=1), _ONE_ZERO)
case("prod", "one_zero_axis_none", lambda m, x: m.prod(x), _ONE_ZERO)
case("prod", "two_zeros_axis_1", lambda m, x: m.prod(x, axis=1), _TWO_ZEROS)
case("prod", "two_zeros_axis_none", lambda m, x: m.prod(x), _TWO_ZEROS)
case("prod", "zeros_in_two_columns_axis_0", lambda m, x: m.prod(x, axis=0), _TWO_ZEROS.T)

# ---------------------------------------------------------------- complex intermediates
# Real inputs that pass through complex values and come back real, so that every
# check above (JAX's Jacobians and Hessians in every mode, finite differences, the
# adjoint identity, float32 dtypes) covers each primitive on complex values, and the
# real/complex dtype boundary in both directions (a real input promoted to complex
# takes the real part of its cotangent; a real output gets a real tangent).

def _c(m, a, b):
    """The complex number a + ib (complex64 from float32 parts, as in NumPy)."""
    return a + 1j * b


def _r(m, z):
    """A real function of a complex value that sees both its parts."""
    return m.real(z) * 0.75 - m.imag(z) * 1.25


_CPLX_UNARY = {"negative": (-2, 2), "exp": (-1.5, 1.5), "log": (0.3, 2), "sin": (-1.5, 1.5),
               "cos": (-1.5, 1.5), "tan": (-0.7, 0.7), "tanh": (-0.7, 0.7), "sinh": (-1.5, 1.5),
               "cosh": (-1.5, 1.5), "sqrt": (0.3, 2), "square": (-2, 2)}
for _name, (_lo, _hi) in _CPLX_UNARY.items():
    # log and sqrt: the real part stays positive, away from the branch cut.
    case(_name, "complex", lambda m, a, b, _n=_name: _r(m, getattr(m, _n)(_c(m, a, b))),
         Arg(2, 3, lo=_lo, hi=_hi), Arg(2, 3, lo=-1.0, hi=1.0))
case("abs", "complex", lambda m, a, b: m.abs(_c(m, a, b)), Arg(2, 3), Arg(2, 3, lo=0.3, hi=2, signed=True))
case("abs", "complex_squared", lambda m, a, b: m.abs(_c(m, a, b)) ** 2, Arg(4), Arg(4))
case("abs", "real_times_1j", lambda m, x: m.abs(x * 1j), Arg(3, lo=0.3, hi=2, signed=True))
case("abs", "real_plus_2j", lambda m, x: m.abs(x + 2j), Arg(3))
case("real", "complex", lambda m, a, b: m.real(_c(m, a, b) * _c(m, b, a)), Arg(2, 3), Arg(2, 3))
case("real", "of_real", lambda m, x: m.real(x) * x, Arg(3))
case("real", "method", lambda m, a, b: (_c(m, a, b) ** 2).real, Arg(3), Arg(3))
case("imag", "complex", lambda m, a, b: m.imag(_c(m, a, b) * _c(m, b, a)), Arg(2, 3), Arg(2, 3))
case("imag", "method", lambda m, a, b: (m.exp(_c(m, a, b))).imag, Arg(3), Arg(3))
case("conj", "complex", lambda m, a, b: _r(m, m.conj(_c(m, a, b)) * m.exp(_c(m, b, a))), Arg(2, 3),
     Arg(2, 3))
case("conj", "abs_squared", lambda m, a, b: m.real(_c(m, a, b) * m.conjugate(_c(m, a, b))), Arg(3),
     Arg(3))
case("conj", "method", lambda m, a, b: _r(m, _c(m, a, b).conj() * _c(m, a, b) ** 2), Arg(3), Arg(3))
case("angle", "complex", lambda m, a, b: m.angle(_c(m, a, b)), Arg(2, 3, lo=0.3, hi=2, signed=True),
     Arg(2, 3, lo=0.3, hi=2, signed=True))
case("angle", "of_real", lambda m, x: m.angle(x) + x, Arg(4, lo=0.3, hi=2, signed=True))

_CPLX_BINARY = {"add": dict(), "subtract": dict(), "multiply": dict(), "divide": dict(lo=0.5, hi=2),
                "power": dict(lo=0.5, hi=2), "maximum": dict(), "minimum": dict()}
for _name, _kw in _CPLX_BINARY.items():
    # power: a base with a positive real part (no zero, no branch cut); divide: the same
    # for the divisor.
    case(_name, "complex", lambda m, a, b, c, d, _n=_name: _r(m, getattr(m, _n)(_c(m, a, b), _c(m, c, d))),
         Arg(2, 3, **(_kw if _name == "power" else {})), Arg(2, 3), Arg(3, **_kw), Arg(3, lo=-1, hi=1))
    case(_name, "real_and_complex_const", lambda m, x, _n=_name: _r(m, getattr(m, _n)(x, 1.5 - 0.5j)),
         Arg(2, 3, lo=0.5, hi=2))
case("add", "python_complex", lambda m, x: m.abs(x + 2j), Arg(3))
case("multiply", "complex_array_const",
     lambda m, x: _r(m, x * np.array([1j, 2 - 1j, -0.5], dtype=np.complex64)),
     Arg(2, 3))
case("where", "complex", lambda m, a, b: _r(m, m.where(_COND, _c(m, a, b), _c(m, b, a) * 2)),
     Arg(2, 3), Arg(2, 3))
case("astype", "real_to_complex", lambda m, x: _r(m, m.exp(m.astype(x, np.complex128) * 1j)), Arg(3))
case("broadcast_to", "complex", lambda m, a, b: _r(m, m.broadcast_to(_c(m, a, b), (2, 3))),
     Arg(3), Arg(1))
case("reshape", "complex", lambda m, a, b: _r(m, m.reshape(_c(m, a, b), (3, 2))), Arg(2, 3), Arg(2, 3))
case("transpose", "complex", lambda m, a, b: _r(m, m.transpose(_c(m, a, b)) ** 2), Arg(2, 3), Arg(2, 3))
case("getitem", "complex", lambda m, a, b: _r(m, _c(m, a, b)[np.array([1, 1, 0])] ** 2), Arg(3), Arg(3))
case("scatter_add", "complex_vjp_of_int_array",
     lambda m, a, b: _r(m, ad(m).vjp(lambda z: z[_DUP], _c(m, a, b))[1](_c(m, b, a)[:3])[0]),
     Arg(4), Arg(4), fd=True)
case("set_item", "complex", lambda m, a, b: _r(m, _set_item(m, _c(m, a, b), 1, _c(m, b[0], a[0]) ** 2)),
     Arg(3), Arg(3))
case("concatenate", "complex", lambda m, a, b: _r(m, m.concatenate([_c(m, a, b), a * 1j]) ** 2),
     Arg(3), Arg(3))
case("einsum", "complex", lambda m, a, b: _r(m, m.einsum("ij,jk->ik", _c(m, a, b), _c(m, b, a).T)),
     Arg(2, 3), Arg(2, 3))
case("matmul", "complex", lambda m, a, b: _r(m, _c(m, a, b) @ _c(m, b, a).T), Arg(2, 3), Arg(2, 3))
case("sum", "complex", lambda m, a, b: _r(m, m.sum(_c(m, a, b) ** 2, axis=0)), Arg(2, 3), Arg(2, 3))
case("prod", "complex", lambda m, a, b: _r(m, m.prod(_c(m, a, b), axis=1)), Arg(2, 3), Arg(2, 3))
for _name in ("max", "min"):   # complex values are ordered lexicographically, as NumPy and JAX
    case(_name, "complex", lambda m, a, b, _n=_name: _r(m, getattr(m, _n)(_c(m, a, b), axis=1)),
         Arg(2, 3), Arg(2, 3))

load_groups()
CASES = [c for cs in TABLE.values() for c in cs]
FD_CASES = [c for c in CASES if c.fd]
assert len({c.id for c in CASES}) == len(CASES), "duplicate case ids"


def params(cases):
    return pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])


# ============================================================================ helpers

def out_weight(case, args):
    """The fixed random weighting of the case's output (its shape and dtype), for
    scalarising: ``sum(w * f)``."""
    out = to_numpy(case.fn(dnp, *args))
    rng = np.random.default_rng(seed_for("w:" + case.id))
    return np.asarray(rng.uniform(-1.0, 1.0, size=out.shape), dtype=F32).astype(out.dtype)


SECOND_ORDER = {
    "hessian": lambda ad, s, an: ad.hessian(s, an),              # forward over reverse
    "rev_over_rev": lambda ad, s, an: ad.jacrev(ad.grad(s, an), an),
    "fwd_over_fwd": lambda ad, s, an: ad.jacfwd(ad.jacfwd(s, an), an),
    "rev_over_fwd": lambda ad, s, an: ad.jacrev(ad.jacfwd(s, an), an),
}

_JAX_REFS = {}


def jax_reference(case):
    """JAX's value, jacfwd, jacrev and Hessian of ``sum(w * f)`` for the case's
    float64 inputs, as NumPy arrays.

    All four come from one ``jax.jit`` call per case (compiling once is much
    cheaper than JAX's op-by-op dispatch), cached for every test that needs
    them.  The table's points are smooth, or non-smooth points where both
    libraries use the same convention in both modes, so one Jacobian per JAX
    mode and one Hessian serve every mode composition on the dualrev side.
    """
    ref = _JAX_REFS.get(case.id)
    if ref is None:
        args = case.inputs()
        an = case.argnums()
        f = case.restricted(jnp, args)
        s = case.scalarised(jnp, args, out_weight(case, args))

        def everything(*d):
            return dict(value=f(*d), jacfwd=jax.jacfwd(f, an)(*d),
                        jacrev=jax.jacrev(f, an)(*d), hessian=jax.hessian(s, an)(*d))
        out = jax.jit(everything)(*case.diff_args(args))
        ref = _JAX_REFS[case.id] = jax.tree_util.tree_map(np.asarray, out)
    return ref


def weighted_grad(jac, w):
    """``grad sum(w * f)`` from the Jacobian of f: contract w over the output axes."""
    return tuple(np.tensordot(w, j, axes=w.ndim).astype(j.dtype) for j in jac)


# ============================================================================ the registry

def test_every_registered_primitive_has_a_table_entry():
    missing = sorted(set(dualrev.core.registry) - set(TABLE))
    assert not missing, f"registered primitives with no entry in TABLE: {missing}"
    stale = sorted(set(TABLE) - set(dualrev.core.registry))
    assert not stale, f"TABLE entries for names that are not registered primitives: {stale}"
    assert all(TABLE[name] for name in dualrev.core.registry)


def spy_registry(monkeypatch, record):
    """Wrap every registered primitive's ``impl`` and every composite's ``definition``
    so that each call first calls ``record(name)``."""
    for name, prim in dualrev.core.registry.items():
        attr = "definition" if isinstance(prim, dualrev.core.Composite) else "impl"

        def spy(*a, _impl=getattr(prim, attr), _name=name, **k):
            record(_name)
            return _impl(*a, **k)
        monkeypatch.setattr(prim, attr, spy)


@params(CASES)
def test_case_reaches_its_primitive(case, monkeypatch):
    """The primitive a case is listed under runs while differentiating the case
    (seen by wrapping every registered primitive's ``impl``, every composite's
    ``definition``)."""
    seen = set()
    spy_registry(monkeypatch, seen.add)
    args = case.inputs()
    f = case.restricted(dnp, args)
    dualrev.jacfwd(f, case.argnums())(*case.diff_args(args))
    dualrev.jacrev(f, case.argnums())(*case.diff_args(args))
    assert case.prim in seen, f"{case.id} never ran primitive '{case.prim}' (ran {sorted(seen)})"


# ============================================================================ against JAX

@params(CASES)
def test_value(case):
    args = case.inputs()
    expected = jax_reference(case)["value"]
    assert_tree_close(case.fn(dnp, *args), expected, err="untraced value")
    f = case.restricted(dnp, args)
    d = case.diff_args(args)
    out, _ = dualrev.jvp(f, tuple(d), tuple(np.ones_like(x) for x in d))
    assert_tree_close(out, expected, err="value under jvp")
    out, _ = dualrev.vjp(f, *d)
    assert_tree_close(out, expected, err="value under vjp")


@pytest.mark.parametrize("mode", ["jacfwd", "jacrev"])
@params(CASES)
def test_jacobian(case, mode):
    args = case.inputs()
    got = getattr(dualrev, mode)(case.restricted(dnp, args), case.argnums())(*case.diff_args(args))
    assert_tree_close(got, jax_reference(case)[mode], err=mode)


@params(CASES)
def test_grad_of_weighted_sum(case):
    args = case.inputs()
    w = out_weight(case, args)
    got = dualrev.grad(case.scalarised(dnp, args, w), case.argnums())(*case.diff_args(args))
    assert_tree_close(got, weighted_grad(jax_reference(case)["jacrev"], w), err="grad")


def second_order_dtypes(order, in_dtypes, out_dtype):
    """The dtype of block [i][j] of each composition, by JAX's convention: a
    forward-mode derivative takes its output's dtype, a reverse-mode one its
    input's.  They differ only when the inputs' and the output's dtypes differ."""
    n = len(in_dtypes)
    if order == "hessian":                                # jacfwd(jacrev): grad_i's dtype
        return [in_dtypes[i] for i in range(n) for j in range(n)]
    if order == "fwd_over_fwd":                           # the scalar output's dtype
        return [out_dtype] * (n * n)
    return [in_dtypes[j] for i in range(n) for j in range(n)]   # reverse outermost


@pytest.mark.parametrize("order", list(SECOND_ORDER))
@params(CASES)
def test_second_order(case, order):
    """Second derivatives of sum(w * f) by each composition of modes, against
    ``jax.hessian``; dtypes as JAX gives them for that composition."""
    args = case.inputs()
    w = out_weight(case, args)
    d = case.diff_args(args)
    got = SECOND_ORDER[order](dualrev, case.scalarised(dnp, args, w), case.argnums())(*d)
    assert_tree_close(got, jax_reference(case)["hessian"], rtol=1e-8, atol=1e-10,
                      check_dtype=False, err=order)
    want = second_order_dtypes(order, [x.dtype for x in d], w.dtype)
    assert [to_numpy(x).dtype for x in leaves(got)] == want


# ============================================================================ independent checks

@params(FD_CASES)
def test_first_derivative_matches_finite_differences(case):
    args = case.inputs()
    an = case.argnums()
    d = case.diff_args(args)
    f = case.restricted(dnp, args)
    fwd = dualrev.jacfwd(f, an)(*d)
    rev = dualrev.jacrev(f, an)(*d)
    for k, i in enumerate(case.diff):
        num = numerical_jacobian(lambda *a: case.fn(dnp, *a), args, i)
        np.testing.assert_allclose(to_numpy(fwd[k]), num, rtol=1e-6, atol=1e-7,
                                   err_msg=f"jacfwd, argument {i}")
        np.testing.assert_allclose(to_numpy(rev[k]), num, rtol=1e-6, atol=1e-7,
                                   err_msg=f"jacrev, argument {i}")


def _unit_strategy(shape, dtype):
    el = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return hnp.arrays(F64, shape, elements=el).map(lambda a: a.astype(dtype))


def check_adjoint(f, primals, data):
    """Draw v (per primal) and w (output-shaped); assert <jvp(v), w> == <v, vjp(w)>,
    and that tangents/cotangents have their primal's shape and dtype."""
    primals = tuple(np.asarray(p) for p in primals)
    vs = tuple(data.draw(_unit_strategy(p.shape, p.dtype), label=f"v{i}")
               for i, p in enumerate(primals))
    out, t_out = dualrev.jvp(f, primals, vs)
    out = to_numpy(out)
    t_out = to_numpy(t_out)
    assert t_out.shape == out.shape and t_out.dtype == out.dtype, (
        f"tangent {t_out.shape} {t_out.dtype} vs output {out.shape} {out.dtype}")
    w = data.draw(_unit_strategy(out.shape, out.dtype), label="w")
    out_vjp, pull = dualrev.vjp(f, *primals)
    np.testing.assert_array_equal(to_numpy(out_vjp), out, err_msg="vjp's and jvp's outputs differ")
    cts = pull(w)
    for i, (c, p) in enumerate(zip(cts, primals)):
        c = to_numpy(c)
        assert c.shape == p.shape and c.dtype == p.dtype, (
            f"cotangent {i}: {c.shape} {c.dtype} vs primal {p.shape} {p.dtype}")
    lhs = vdot(t_out, w)
    rhs = sum(vdot(v, c) for v, c in zip(vs, cts))
    scale = (np.sum(np.abs(t_out.astype(F64) * w)) +
             sum(np.sum(np.abs(to_numpy(v).astype(F64) * to_numpy(c))) for v, c in zip(vs, cts)))
    low = any(np.dtype(x.dtype) == F32 for x in (out, *primals))
    tol = (1e-5 if low else 1e-11) * (1.0 + scale)
    assert abs(lhs - rhs) <= tol, f"<jvp(v), w> = {lhs!r} but <v, vjp(w)> = {rhs!r}"


# derandomize: the same examples on every run, so the verdict does not change
# from one run to the next.
HYP = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


@params(CASES)
@settings(max_examples=6, **HYP)
@given(data=st.data())
def test_adjoint_identity_at_drawn_values(case, data):
    args = case.inputs()
    for i, a in enumerate(case.args):
        if isinstance(a, Arg):
            args[i] = data.draw(a.strategy(), label=f"arg{i}")
    # Drawn points may hit a masked 0 * inf inside a rule (x ** 0 at x = 0);
    # a nan that survives still fails the identity.
    with np.errstate(divide="ignore", invalid="ignore"):
        check_adjoint(case.restricted(dnp, args), case.diff_args(args), data)


# ---------------------------------------------------------------- drawn shapes

SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def _floats(shape, lo=-2.0, hi=2.0):
    el = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return hnp.arrays(F64, shape, elements=el)


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=10, **HYP)
@given(data=st.data())
def test_adjoint_unary_drawn_shapes(name, data):
    lo, hi = UNARY[name]
    x = data.draw(_floats(data.draw(SHAPES, label="shape"), lo, hi), label="x")
    check_adjoint(getattr(dnp, name), (x,), data)


@pytest.mark.parametrize("name", sorted(BINARY) + ["where"])
@settings(max_examples=12, **HYP)
@given(data=st.data())
def test_adjoint_binary_drawn_broadcast_shapes(name, data):
    (sx, sy), _ = data.draw(hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=3, max_side=3), label="shapes")
    if name == "where":
        x, y = data.draw(_floats(sx), label="x"), data.draw(_floats(sy), label="y")
        cond = data.draw(hnp.arrays(bool, np.broadcast_shapes(sx, sy)), label="cond")
        f = lambda a, b: dnp.where(cond, a, b)  # noqa: E731
    else:
        _, _, kx, ky = BINARY[name]
        ax, ay = Arg(*sx, **kx), Arg(*sy, **ky)
        x, y = data.draw(ax.strategy(), label="x"), data.draw(ay.strategy(), label="y")
        f = getattr(dnp, name)
    check_adjoint(f, (x, y), data)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod"])
@settings(max_examples=15, **HYP)
@given(data=st.data())
def test_adjoint_reductions_drawn_axes(name, data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), label="shape")
    nd = len(shape)
    axis = data.draw(st.one_of(
        st.none(), st.integers(-nd, nd - 1),
        st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True).map(tuple)),
        label="axis")
    keepdims = data.draw(st.booleans(), label="keepdims")
    # Values on a coarse grid, so that ties (max/min) and zeros (prod) occur.
    x = data.draw(hnp.arrays(F64, shape, elements=st.sampled_from([-1.5, -1.0, 0.0, 0.5, 1.0, 2.0])),
                  label="x")
    fn = getattr(dnp, name)
    check_adjoint(lambda a: fn(a, axis=axis, keepdims=keepdims), (x,), data)


@st.composite
def _shape_op(draw):
    """(label, function, input shape) for a drawn shape-manipulating call."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, max_side=3), label="shape")
    nd = len(shape)
    kind = draw(st.sampled_from(["transpose", "reshape", "broadcast_to", "getitem",
                                 "concatenate", "moveaxis"]), label="kind")
    if kind == "transpose":
        perm = tuple(draw(st.permutations(range(nd))))
        return kind, lambda a: dnp.transpose(a, perm), shape
    if kind == "moveaxis":
        src, dst = draw(st.integers(0, nd - 1)), draw(st.integers(-nd, nd - 1))
        return kind, lambda a: dnp.moveaxis(a, src, dst), shape
    if kind == "reshape":
        size = int(np.prod(shape))
        first = draw(st.sampled_from([d for d in range(1, size + 1) if size % d == 0]))
        return kind, lambda a: dnp.reshape(a, (first, -1, 1)), shape
    if kind == "broadcast_to":
        lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
        small = tuple(1 if draw(st.booleans()) else n for n in shape)
        return kind, lambda a: dnp.broadcast_to(a, lead + shape), small
    if kind == "getitem":
        # Integer-array indices (all of one length, so they broadcast together)
        # mixed with slices.
        idx = []
        k = draw(st.integers(1, 4))
        for n in shape:
            if draw(st.booleans()):
                idx.append(np.array(draw(st.lists(st.integers(-n, n - 1), min_size=k, max_size=k))))
            else:
                start = draw(st.one_of(st.none(), st.integers(-n, n - 1)))
                step = draw(st.sampled_from([None, 1, 2, -1]))
                idx.append(slice(start, None, step))
        idx = tuple(idx)
        return kind, lambda a: a[idx], shape
    # concatenate: pieces differing along a drawn axis
    axis = draw(st.integers(0, nd - 1))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    const = np.ones(shape[:axis] + (2,) + shape[axis + 1:])
    pieces = [shape[:axis] + (s,) + shape[axis + 1:] for s in sizes]

    def cat(a):
        parts = [a[(slice(None),) * axis + (slice(0, 1),)] * float(j + 1) for j in range(len(sizes))]
        parts = [dnp.broadcast_to(p, s) for p, s in zip(parts, pieces)]
        return dnp.concatenate(parts + [const, a], axis=axis)
    return kind, cat, shape


@settings(max_examples=40, **HYP)
@given(data=st.data())
def test_adjoint_shape_ops_drawn(data):
    _, f, shape = data.draw(_shape_op(), label="op")
    x = data.draw(_floats(shape), label="x")
    check_adjoint(f, (x,), data)


@settings(max_examples=25, **HYP)
@given(data=st.data())
def test_adjoint_matmul_einsum_drawn(data):
    dim = st.integers(1, 3)
    m_, k_, n_ = data.draw(dim, label="m"), data.draw(dim, label="k"), data.draw(dim, label="n")
    batch = tuple(data.draw(st.lists(dim, max_size=2), label="batch"))
    a_vec, b_vec = data.draw(st.booleans(), label="a_1d"), data.draw(st.booleans(), label="b_1d")
    a_batch = batch[data.draw(st.integers(0, len(batch)), label="a_drop"):]
    sa = (k_,) if a_vec else a_batch + (m_, k_)
    sb = (k_,) if b_vec else batch + (k_, n_)
    a, b = data.draw(_floats(sa), label="a"), data.draw(_floats(sb), label="b")
    use_einsum = data.draw(st.booleans(), label="einsum")
    if use_einsum:
        sub_a = "k" if a_vec else "...mk"
        sub_b = "k" if b_vec else "...kn"
        out = ("..." if not (a_vec and b_vec) else "") + ("" if a_vec else "m") + ("" if b_vec else "n")
        f = lambda x, y: dnp.einsum(f"{sub_a},{sub_b}->{out}", x, y)  # noqa: E731
    else:
        f = dnp.matmul
    check_adjoint(f, (a, b), data)


# ============================================================================ dtypes

@params(CASES)
def test_float32_inputs(case):
    """float32 inputs give float32 outputs (unless the case casts), forward
    Jacobians in the output's dtype and reverse Jacobians, gradients and
    Hessians in the input's dtype (float32), as JAX; the values agree with the
    float64 reference at the same (float32-representable) point."""
    if case.f32:
        pytest.skip(case.f32)
    args = case.inputs(F32)
    an = case.argnums()
    d = case.diff_args(args)
    ref = jax_reference(case)
    tol = dict(rtol=2e-4, atol=1e-4, check_dtype=False)

    out = to_numpy(case.fn(dnp, *args))
    if case.prim != "astype":
        assert out.dtype == F32, f"output dtype {out.dtype}"
    assert_tree_close(out, ref["value"], **tol, err="value")

    f = case.restricted(dnp, args)
    fwd = dualrev.jacfwd(f, an)(*d)
    assert_tree_dtypes(fwd, out.dtype, "jacfwd")
    assert_tree_close(fwd, ref["jacfwd"], **tol, err="jacfwd")
    rev = dualrev.jacrev(f, an)(*d)
    assert_tree_dtypes(rev, F32, "jacrev")
    assert_tree_close(rev, ref["jacrev"], **tol, err="jacrev")

    w = out_weight(case, args)
    s = case.scalarised(dnp, args, w)
    g = dualrev.grad(s, an)(*d)
    assert_tree_dtypes(g, F32, "grad")
    assert_tree_close(g, weighted_grad(ref["jacrev"], w.astype(F64)), **tol, err="grad")
    h = dualrev.hessian(s, an)(*d)
    assert_tree_dtypes(h, F32, "hessian")
    assert_tree_close(h, ref["hessian"], **tol, err="hessian")


@pytest.mark.parametrize("fn", [dnp.sin, dnp.exp, dnp.square, lambda x: x * 2.0 + 1.0,
                                lambda x: dnp.sum(x)], ids=["sin", "exp", "square", "affine", "sum"])
def test_python_float_inputs_give_float64(fn):
    for res in (fn(0.7), dualrev.grad(fn)(0.7), dualrev.jacfwd(fn)(0.7), dualrev.jacrev(fn)(0.7),
                dualrev.hessian(fn)(0.7), dualrev.jvp(fn, (0.7,), (1.0,))[1]):
        assert to_numpy(res).dtype == F64


# ============================================================================ conventions

def _both_modes(fn, x):
    """(forward-mode Jacobian, reverse-mode Jacobian) from dualrev, then from JAX."""
    return ((dualrev.jacfwd(fn(dnp))(x), dualrev.jacrev(fn(dnp))(x)),
            (jax.jacfwd(fn(jnp))(x), jax.jacrev(fn(jnp))(x)))


def test_abs_derivative_at_zero_is_one():
    x = np.array([-1.5, 0.0, 2.0])
    ours, theirs = _both_modes(lambda m: m.abs, x)
    expected = np.diag([-1.0, 1.0, 1.0])
    for got, want in zip(ours, theirs):
        assert_tree_close(got, want)
        assert_tree_close(got, expected)
    assert dualrev.grad(dnp.abs)(0.0) == 1.0 == jax.grad(jnp.abs)(0.0)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_split_half(name):
    x, y = np.array([1.0, 2.0, -3.0]), np.array([1.0, 0.0, -3.0])
    win = 1.0 if name == "maximum" else 0.0
    expected = (np.diag([0.5, win, 0.5]), np.diag([0.5, 1.0 - win, 0.5]))
    for mode in ("jacfwd", "jacrev"):
        got = getattr(dualrev, mode)(getattr(dnp, name), (0, 1))(x, y)
        want = getattr(jax, mode)(getattr(jnp, name), (0, 1))(x, y)
        assert_tree_close(got, want, err=mode)
        assert_tree_close(got, expected, err=mode)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_reductions_split_evenly_among_ties(name):
    x = np.array([[3.0, 1.0, 3.0], [2.0, 2.0, 2.0]]) * (1 if name == "max" else -1)
    expected_axis1 = np.array([[0.5, 0.0, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    expected_none = np.array([[0.5, 0.0, 0.5], [0.0, 0.0, 0.0]])
    for axis, expected in [(1, expected_axis1), (None, expected_none)]:
        ours = lambda a: dnp.sum(getattr(dnp, name)(a, axis=axis))  # noqa: E731
        theirs = lambda a: jnp.sum(getattr(jnp, name)(a, axis=axis))  # noqa: E731
        for got in (dualrev.grad(ours)(x), dualrev.jacfwd(ours)(x)):
            assert_tree_close(got, jax.grad(theirs)(x), err=f"axis={axis}")
            assert_tree_close(got, expected, err=f"axis={axis}")


def test_sqrt_derivative_at_zero_is_inf():
    with np.errstate(divide="ignore", invalid="ignore"):
        g_rev = dualrev.grad(dnp.sqrt)(0.0)
        g_fwd = dualrev.jvp(dnp.sqrt, (0.0,), (1.0,))[1]
        x = np.array([0.0, 4.0])
        jacs = [dualrev.jacfwd(dnp.sqrt)(x), dualrev.jacrev(dnp.sqrt)(x)]
    assert g_rev == np.inf == jax.grad(jnp.sqrt)(0.0)
    assert g_fwd == np.inf == jax.jvp(jnp.sqrt, (0.0,), (1.0,))[1]
    # Off the diagonal a zero tangent/cotangent meets sqrt'(0) = inf: 0 * inf
    # = nan, in a different place for each mode, exactly as in JAX.
    for got, want in zip(jacs, [jax.jacfwd(jnp.sqrt)(x), jax.jacrev(jnp.sqrt)(x)]):
        assert_tree_close(got, want)
        assert_tree_close(np.diagonal(got), np.array([np.inf, 0.25]))


def test_sign_has_zero_derivative():
    x = np.array([-2.0, 0.0, 3.0])
    ours, theirs = _both_modes(lambda m: m.sign, x)
    for got, want in zip(ours, theirs):
        assert_tree_close(got, want)
        assert_tree_close(got, np.zeros((3, 3)))
    # d/dx (sign(x) * x) = sign(x): the product rule with sign' = 0.
    ours = lambda a: dnp.sum(dnp.sign(a) * a)  # noqa: E731
    theirs = lambda a: jnp.sum(jnp.sign(a) * a)  # noqa: E731
    for got in (dualrev.grad(ours)(x), dualrev.jacfwd(ours)(x)):
        assert_tree_close(got, jax.grad(theirs)(x))
        assert_tree_close(got, np.sign(x))


# ============================================================================ modes that differ

# Where a branch of ``where`` is not taken, its value can still be nan or inf
# (sqrt of a negative, sqrt'(0) = inf, a division by zero).  Forward mode
# selects the taken branch's tangent, so the untaken nan tangent is dropped
# and the derivative is 0.  Reverse mode sends a zero cotangent into the
# untaken branch, and its rule multiplies that zero by the nan/inf local
# derivative: 0 * nan = nan, 0 * inf = nan.  JAX behaves the same way, so each
# mode is compared with JAX's same mode, never forward with reverse.
UNTAKEN = {
    "sqrt_of_negative": (lambda m: lambda x: m.where(x > 0, m.sqrt(x), 0.0), -1.0, np.nan, 0.0),
    "sqrt_at_zero": (lambda m: lambda x: m.where(x > 0, m.sqrt(x), 0.0), 0.0, np.nan, 0.0),
    "sqrt_taken": (lambda m: lambda x: m.where(x > 0, m.sqrt(x), 0.0), 4.0, 0.25, 0.25),
    "divide_by_zero": (lambda m: lambda x: m.where(x != 0, 1.0 / x, 0.0), 0.0, np.nan, 0.0),
}


@pytest.mark.parametrize("name", list(UNTAKEN))
def test_untaken_where_branch_like_modes(name):
    make, x, rev_expected, fwd_expected = UNTAKEN[name]
    with np.errstate(all="ignore"):
        rev = dualrev.grad(make(dnp))(x)
        fwd = dualrev.jvp(make(dnp), (x,), (1.0,))[1]
        jac_fwd = dualrev.jacfwd(make(dnp))(np.array([x, 2.0]))
        jac_rev = dualrev.jacrev(make(dnp))(np.array([x, 2.0]))
    assert_tree_close(rev, jax.grad(make(jnp))(x), err="reverse")
    assert_tree_close(fwd, jax.jvp(make(jnp), (x,), (1.0,))[1], err="forward")
    assert_tree_close(jac_fwd, jax.jacfwd(make(jnp))(np.array([x, 2.0])), err="jacfwd")
    assert_tree_close(jac_rev, jax.jacrev(make(jnp))(np.array([x, 2.0])), err="jacrev")
    assert_tree_close(rev, np.float64(rev_expected), err="reverse")
    assert_tree_close(fwd, np.float64(fwd_expected), err="forward")


# ============================================================================ vmap

# Every case under dualrev.vmap against jax.vmap: a batch of three examples (the
# case's inputs and two seeded perturbations), each differentiated argument batched
# along axis 0, 1 or -1 or shared (None), outputs along axis 0 or -1; and vmap of
# the case's JVP and VJP, over batches of tangents or cotangents and of primals.
# The batch of one assignment holds the same examples whatever the axes: JAX's
# result for it, one jit per case, serves every placement of the batch axis.

VMAP_SIZE = 3
# Fixed (hand-picked) inputs keep their ties, zeros and integral quotients when
# every argument is scaled by the same positive factor.
_VMAP_SCALES = (1.5, 0.5)


def vmap_examples(case):
    """For each differentiated argument, its batch of VMAP_SIZE examples (batch axis
    first): the case's input, then two draws from its ``Arg`` (or, for a fixed
    input, the input scaled)."""
    args = case.inputs()
    rng = np.random.default_rng(seed_for("vmap:" + case.id))
    out = []
    for i in case.diff:
        spec, x = case.args[i], args[i]
        more = ([spec.sample(rng) for _ in _VMAP_SCALES] if isinstance(spec, Arg)
                else [x * s for s in _VMAP_SCALES])
        out.append(np.stack([x] + more))
    return out


def vmap_directions(case, label, shapes_dtypes):
    """Seeded batches (batch axis first) of tangents or cotangents of these shapes."""
    rng = np.random.default_rng(seed_for(f"vmap-{label}:" + case.id))
    return [np.asarray(rng.uniform(-1.0, 1.0, size=(VMAP_SIZE,) + s), dtype=F32).astype(d)
            for s, d in shapes_dtypes]


def vmap_patterns(case):
    """Which differentiated arguments are batched (True) or shared (False): all
    batched, and each one shared in turn (a one-argument case: none batched, with
    ``axis_size``)."""
    k = len(case.diff)
    if k == 1:
        return [(True,), (False,)]
    return [(True,) * k] + [tuple(j != i for j in range(k)) for i in range(k)]


def vmap_assignments(case, args):
    """(in_axes, out_axes, pattern) to run: every argument along axis 0, 1 (or -1
    where an example is 0-d) and -1; each pattern with a shared argument; a mixed
    assignment of different axes; outputs along 0 and -1."""
    nds = [np.ndim(a) for a in case.diff_args(args)]
    k = len(nds)
    one = tuple(1 if n >= 1 else -1 for n in nds)
    out = []
    for pattern in vmap_patterns(case):
        for axes in ((0,) * k, one, (-1,) * k):
            in_axes = tuple(a if b else None for a, b in zip(axes, pattern))
            for out_axes in (0, -1):
                out.append((in_axes, out_axes, pattern))
            if not any(pattern):
                break      # nothing batched: the axes do not matter
    if k > 1:
        cycle = [one[0], -1, 0, None]
        mixed = tuple(cycle[j % 4] for j in range(k))
        out.append((mixed, -1, tuple(a is not None for a in mixed)))
    return out


def _key(pattern):
    """'vmap:' and b (batched) or s (shared) per argument."""
    return "vmap:" + "".join("b" if p else "s" for p in pattern)


def _moved_in(batches, args_d, in_axes):
    return [x if ax is None else np.moveaxis(b, 0, ax)
            for b, x, ax in zip(batches, args_d, in_axes)]


_JAX_VMAP_REFS = {}


def jax_vmap_reference(case):
    """JAX's results for the case under vmap (batch axis first), from one jitted
    ``jax.vmap`` of the JVP and the VJP over every example needed, stacked:

    * ``_key(pattern)``: the values, per pattern of batched and shared arguments
      (a shared argument is the case's input in every example);
    * ``jvp_t`` / ``jvp_pt``: the JVP over tangents (primals shared) / over primals
      and tangents;
    * ``vjp_c`` / ``vjp_p``: the VJP over cotangents (primals shared) / over primals
      (the cotangent shared).
    """
    ref = _JAX_VMAP_REFS.get(case.id)
    if ref is not None:
        return ref
    args = case.inputs()
    f = case.restricted(jnp, args)
    d = case.diff_args(args)
    k = len(d)
    batches = vmap_examples(case)
    tangents, cts = vmap_inputs(case, args, np.asarray(jax_reference(case)["value"]))
    shared = [np.stack([x] * VMAP_SIZE) for x in d]
    fixed_ct = np.stack([cts[1]] * VMAP_SIZE)
    # Blocks of VMAP_SIZE rows: (primals, tangents, cotangents) of each example.
    blocks = {"batched": (batches, tangents, fixed_ct), "shared": (shared, tangents, cts)}
    for pattern in vmap_patterns(case)[1:]:
        if any(pattern):
            blocks[_key(pattern)] = (
                [b if p else s for b, s, p in zip(batches, shared, pattern)], tangents, cts)
    names = list(blocks)
    primals = [np.concatenate([blocks[n][0][i] for n in names]) for i in range(k)]
    tans = [np.concatenate([blocks[n][1][i] for n in names]) for i in range(k)]
    ctss = np.concatenate([blocks[n][2] for n in names])

    def per_example(p, t, ct):
        out, t_out = jax.jvp(f, tuple(p), tuple(t))
        return out, t_out, jax.vjp(f, *p)[1](ct)

    out, t_out, ct_in = jax.tree_util.tree_map(np.asarray, jax.jit(jax.vmap(per_example))(
        primals, tans, ctss))
    rows = {n: slice(j * VMAP_SIZE, (j + 1) * VMAP_SIZE) for j, n in enumerate(names)}
    ref = {"jvp_t": t_out[rows["shared"]], "jvp_pt": t_out[rows["batched"]],
           "vjp_c": tuple(c[rows["shared"]] for c in ct_in),
           "vjp_p": tuple(c[rows["batched"]] for c in ct_in)}
    for pattern in vmap_patterns(case):
        name = ("batched" if all(pattern) else "shared" if not any(pattern)
                else _key(pattern))
        ref[_key(pattern)] = out[rows[name]]
    _JAX_VMAP_REFS[case.id] = ref
    return ref


def vmap_inputs(case, args, out):
    """Seeded batches of tangents (one per differentiated argument) and of cotangents."""
    d = case.diff_args(args)
    tangents = vmap_directions(case, "t", [(np.shape(x), x.dtype) for x in d])
    (cts,) = vmap_directions(case, "ct", [(np.shape(out), out.dtype)])
    return tangents, cts


@params(CASES)
def test_vmap(case):
    """dualrev.vmap of the case, every placement of the batch axes, against jax.vmap."""
    if case.vmap:
        pytest.skip(case.vmap)
    args = case.inputs()
    ref = jax_vmap_reference(case)
    batches = vmap_examples(case)
    d = case.diff_args(args)
    f = case.restricted(dnp, args)
    for in_axes, out_axes, pattern in vmap_assignments(case, args):
        size = None if any(pattern) else VMAP_SIZE
        got = dualrev.vmap(f, in_axes=in_axes, out_axes=out_axes, axis_size=size)(
            *_moved_in(batches, d, in_axes))
        want = np.moveaxis(ref[_key(pattern)], 0, out_axes)
        assert_tree_close(got, want, err=f"vmap in_axes={in_axes} out_axes={out_axes}")


@params(CASES)
def test_vmap_of_jvp_and_vjp(case):
    """vmap of the case's JVP (over tangents; over primals and tangents) and of its
    VJP (the pullback over cotangents; the VJP over primals), against JAX."""
    if case.vmap:
        pytest.skip(case.vmap)
    args = case.inputs()
    ref = jax_vmap_reference(case)
    batches = vmap_examples(case)
    d = case.diff_args(args)
    k = len(d)
    f = case.restricted(dnp, args)
    out = to_numpy(case.fn(dnp, *args))
    tangents, cts = vmap_inputs(case, args, out)
    got = dualrev.vmap(lambda *t: dualrev.jvp(f, tuple(d), t)[1])(*tangents)
    assert_tree_close(got, ref["jvp_t"], err="vmap of jvp over tangents")
    got = dualrev.vmap(lambda *pt: dualrev.jvp(f, pt[:k], pt[k:])[1])(*batches, *tangents)
    assert_tree_close(got, ref["jvp_pt"], err="vmap of jvp over primals and tangents")
    pull = dualrev.vjp(f, *d)[1]
    got = dualrev.vmap(pull)(cts)
    assert_tree_close(got, ref["vjp_c"], err="vmap of the pullback over cotangents")
    got = dualrev.vmap(lambda *p: dualrev.vjp(f, *p)[1](cts[1]))(*batches)
    assert_tree_close(got, ref["vjp_p"], err="vmap of vjp over primals")


# Primitives whose batching rule is a Python loop over the examples (the rule says
# so: ``rule.loops_over_batch = True``).  None: every rule runs once per batch.
LOOPING_BATCH_RULES = set()


def test_every_registered_primitive_has_a_batching_rule():
    prims = {n: p for n, p in dualrev.core.registry.items()
             if isinstance(p, dualrev.core.Primitive)}
    missing = sorted(name for name, prim in prims.items()
                     if isinstance(prim.batch, dualrev.core.MissingBatchRule)
                     or not callable(prim.batch))
    assert not missing, f"registered primitives with no batching rule: {missing}"
    looping = {name for name, prim in prims.items()
               if getattr(prim.batch, "loops_over_batch", False)}
    assert looping == LOOPING_BATCH_RULES, (
        f"primitives whose batching rule loops over the batch: {sorted(looping)}, "
        f"listed: {sorted(LOOPING_BATCH_RULES)}")


def _impl_calls(monkeypatch):
    """Count the calls of every registered primitive's implementation (composite's
    definition)."""
    calls = {}

    def record(name):
        calls[name] = calls.get(name, 0) + 1
    spy_registry(monkeypatch, record)
    return calls


@params(CASES)
def test_vmap_runs_each_primitive_once_per_batch(case, monkeypatch):
    """Under vmap (and vmap of the VJP over primals) the implementations run as often
    for a batch of 6 examples as for a batch of 3: no rule loops over the examples
    (the 6 repeat the 3, so data-dependent choices are the same)."""
    if case.vmap:
        pytest.skip(case.vmap)
    args = case.inputs()
    f = case.restricted(dnp, args)
    ct = to_numpy(case.fn(dnp, *args))
    batches = vmap_examples(case)
    calls = _impl_calls(monkeypatch)
    counts = []
    for bs in (batches, [np.concatenate([b, b]) for b in batches]):
        calls.clear()
        dualrev.vmap(f)(*bs)
        dualrev.vmap(lambda *p: dualrev.vjp(f, *p)[1](ct))(*bs)
        counts.append(dict(calls))
    assert case.prim in counts[0], f"{case.id} never ran '{case.prim}' under vmap"
    looped = {n: (counts[0].get(n), c) for n, c in counts[1].items()
              if counts[0].get(n) != c and n not in LOOPING_BATCH_RULES}
    assert not looped, f"implementation calls for batches of 3 and 6 differ: {looped}"
