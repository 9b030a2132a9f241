"""Differential fuzzing of dualrev against JAX: random programs over every registered primitive.

A *program* is written once as Python source over an array namespace ``m``
(``dualrev.numpy`` or ``jax.numpy``) and a small helper namespace ``L`` (the few
operations the two libraries spell differently: ``x[idx] = v`` out of place, the
logistic function, and the scatter-add that is getitem's pullback)::

    def F(m, L, x0, x1):
        v2 = m.sin(x0)
        v3 = m.maximum(v2, x1)
        v4 = m.sum(v3, axis=1)
        return v4

    def f(m, L, x0, x1):
        return m.max(F(m, L, x0, x1))

``F`` is a random sequence of 3-10 operations, each drawn from the *op spec* of a
primitive (``SPECS``: the engine's core primitives; the other registered functions
are checked through the primitive table); its operands are
earlier values (inputs or results), picked broadcast-compatible.  ``f`` reduces
``F`` to a scalar.  Inputs are 1-3 arrays of random shapes (0-d, size-1
dimensions, shapes that broadcast against each other) holding random normals,
or, in some programs, planted special values: a coarse grid of values (ties for
max/min/maximum/minimum, exact zeros for abs), exact zeros, or infs and nans.
Domain guards (``log(abs(x) + 0.5)``, a divisor ``x**2 + 0.5``, arguments scaled
down before ``exp``) keep most programs smooth and finite; the programs that plant
special values drop the guards on purpose.

Three kinds of program:

* ``real``: real inputs; complex values may appear inside (a product with a
  complex constant, a cast) and come back with ``real``/``imag``/``abs`` before
  the reduction.  Checked: values, ``grad``, ``jvp``, ``vjp``, ``hessian`` and a
  third-order composition.
* ``complex``: complex inputs, real scalar output (JAX's convention: the
  gradient is df/dRe z - i df/dIm z).  ``grad``, ``jvp``/``vjp`` with complex
  tangents and cotangents, forward-over-reverse second order, third order.
* ``holo``: complex inputs through holomorphic operations only, complex output:
  ``grad``/``hessian`` with ``holomorphic=True``, ``jvp``, ``vjp``, third order.

Every check runs the same transformation in both libraries (``grad`` against
``jax.grad``, ``jvp`` against ``jax.jvp``, ...), so forward and reverse mode are
each compared with JAX's same mode: at a non-smooth point (a nan in an untaken
``where`` branch) the two modes may legitimately differ, and JAX's mode is the
oracle for ours.  JAX runs compiled, all of a program's checks in one
``jax.jit``; a check that disagrees is run again by JAX op by op, which is the
verdict (see ``jax_checks``).

Values compare with ``allclose`` at a tolerance scaled to the magnitude of the
check's result; nan must match nan and inf must match inf position by position,
except for the disagreements listed in ``KNOWN``, each one justified there.

On a failure the program is shrunk (the shortest prefix of operations that still
fails, then the shortest run of its last operations that fails on its own, on
the concrete values of its operands) and printed as source with its seed, so
``python -m tests.fuzz --seed N --programs 1`` runs it again.  A campaign::

    python -m tests.fuzz --programs 20000 [--seed S] [--jobs 2] [--ops 3-10]
        [--kind real|complex|holo] [--special ...] [--focus sin] [--skip sigmoid]
"""
import argparse
import math
import signal
import sys
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

if __package__:
    from . import helpers
else:                       # imported by pytest, with tests/ on sys.path
    import helpers

jax, jnp, dualrev, dnp = helpers.jax, helpers.jnp, helpers.dualrev, helpers.dnp
from jax.custom_derivatives import SymbolicZero  # noqa: E402

from dualrev.core import registry  # noqa: E402
from dualrev.nn import functional as _functional  # noqa: E402
from dualrev.numpy._shape import set_item as _set_item  # noqa: E402

RTOL, ATOL = 1e-7, 1e-12   # see compare()
TERMS = 1e-13              # rounding relative to the largest term: see term_scale()
MAX_SIZE = 24          # elements of any value in a program
MAX_NDIM = 4


# ============================================================================ the two libraries

class _Lib:
    """The operations a program cannot spell the same way in both libraries."""

    def __init__(self, name, ad, m, set_item, sigmoid, zeros):
        self.name, self.ad, self.m = name, ad, m
        self.set_item, self.sigmoid, self._zeros = set_item, sigmoid, zeros

    def scatter_add(self, g, idx, shape):
        """zeros(shape) with g added at idx: getitem's pullback, reached through vjp."""
        return self.ad.vjp(lambda z: z[idx], self._zeros(shape, g.dtype))[1](g)[0]

    def __repr__(self):
        return self.name


DUALREV = _Lib("dualrev", dualrev, dnp, _set_item, _functional.sigmoid, np.zeros)
JAX = _Lib("jax", jax, jnp, lambda x, idx, v: jnp.asarray(x).at[idx].set(v), jax.nn.sigmoid,
           jnp.zeros)


# ============================================================================ literals

def lit(x):
    """Python source for a constant: numbers, arrays, index tuples."""
    if x is None:
        return "None"
    if x is Ellipsis:
        return "..."
    if isinstance(x, slice):
        return f"slice({lit(x.start)}, {lit(x.stop)}, {lit(x.step)})"
    if isinstance(x, tuple):
        return "(" + ", ".join(lit(i) for i in x) + ("," if len(x) == 1 else "") + ")"
    if isinstance(x, np.ndarray):
        body = _nested(x.tolist())
        if x.dtype.kind in "fc" and x.dtype != np.float64 and x.dtype != np.complex128:
            return f"np.array({body}, dtype=np.{x.dtype})"
        if x.dtype.kind == "c" and not np.any(x.imag):
            return f"np.array({body}, dtype=np.complex128)"
        return f"np.array({body})"
    if isinstance(x, (bool, np.bool_)):
        return repr(bool(x))
    if isinstance(x, (int, np.integer)):
        return repr(int(x))
    if isinstance(x, (float, np.floating)):
        return _float(float(x))
    if isinstance(x, (complex, np.complexfloating)):
        x = complex(x)
        if math.isfinite(x.real) and math.isfinite(x.imag):
            return repr(x)
        return f"complex({_float(x.real)}, {_float(x.imag)})"
    return repr(x)


def _float(v):
    if math.isnan(v):
        return "np.nan"
    if math.isinf(v):
        return "np.inf" if v > 0 else "-np.inf"
    return repr(v)


def _nested(v):
    if isinstance(v, list):
        return "[" + ", ".join(_nested(i) for i in v) + "]"
    return lit(v)


def sub(idx):
    """An index as it is written between brackets: ``1:, np.array([0, 2])``."""
    items = idx if isinstance(idx, tuple) else (idx,)
    out = []
    for i in items:
        if isinstance(i, slice):
            s = "" if i.start is None else str(i.start)
            s += ":" + ("" if i.stop is None else str(i.stop))
            if i.step is not None:
                s += ":" + str(i.step)
            out.append(s)
        else:
            out.append(lit(i))
    if not out:
        return "()"
    return ", ".join(out) + ("," if len(out) == 1 and isinstance(idx, tuple) and
                             not isinstance(items[0], slice) else "")


def idx_lit(idx):
    """An index as a value: ``np.s_[1:, 0]``."""
    return f"np.s_[{sub(idx)}]"


# ============================================================================ programs

@dataclass
class Op:
    spec: str                 # the primitive this op was drawn for
    template: str             # the expression, operands as {0}, {1}, ...
    args: tuple               # operand names
    out: str                  # the name it defines

    def expr(self, names=None):
        return self.template.format(*(self.args if names is None else names))


@dataclass
class Program:
    seed: int
    kind: str                 # 'real', 'complex' or 'holo'
    special: str              # how inputs and guards were drawn
    inputs: list              # arrays x0, x1, ...
    ops: list                 # Op
    out: str                  # the value F returns
    realify: str              # how a complex output becomes real: 'real', 'imag' or 'abs'
    reduce: str               # the scalar reduction: 'wsum', 'sum', 'mean', 'max', 'min', 'prod'
    third: str                # which third-order composition
    note: str = ""            # e.g. 'isolated from seed N'
    how: str = ""             # the generator's options, as command-line arguments
    _fns: tuple = field(default=None, repr=False)

    def command(self):
        """The command that runs this program again (and shrinks it if it fails)."""
        return f"python -m tests.fuzz --seed {self.seed} --programs 1{self.how}"

    @property
    def names(self):
        return [f"x{i}" for i in range(len(self.inputs))]

    def out_value(self):
        """F's output, computed by NumPy (through dualrev.numpy untraced)."""
        with np.errstate(all="ignore"):
            return np.asarray(self.fns()[0](dnp, DUALREV, *self.inputs))

    def reduction_src(self, of=None):
        """f's expression: F's output (``of``: this expression instead of the call
        of F) made real if it must be, and reduced to a scalar."""
        out = self.out_value()
        r = of or "F(m, L, {})".format(", ".join(self.names))
        if out.dtype.kind == "c" and self.kind != "holo":
            r = f"m.{self.realify}({r})"
        if self.reduce == "wsum":
            w = np.round(np.random.default_rng(self.seed + 7).uniform(-1.5, 1.5, out.shape), 2)
            return f"m.sum({r} * {lit(w)})"
        if self.reduce == "sqsum":
            return f"m.sum({r} * {r})"
        return f"m.{self.reduce}({r})"

    def source(self):
        args = ", ".join(["m", "L"] + self.names)
        return (self.source_F() + f"\n\ndef f({args}):\n"
                f"    return {self.reduction_src()}")

    def fns(self):
        """(F, f) as functions of (m, L, *inputs)."""
        if self._fns is None:
            env = {"np": np}
            exec(compile(self.source_F(), f"<program {self.seed}>", "exec"), env)
            self._fns = (env["F"], None)        # F alone first: f's source needs F's output
            exec(compile(self.source(), f"<program {self.seed}>", "exec"), env)
            self._fns = (env["F"], env["f"])
        return self._fns

    def source_F(self):
        args = ", ".join(["m", "L"] + self.names)
        lines = [f"def F({args}):"]
        lines += [f"    {op.out} = {op.expr()}" for op in self.ops]
        lines.append(f"    return {self.out}")
        return "\n".join(lines)

    def describe(self, values=False):
        head = (f"# seed {self.seed}, kind {self.kind}, inputs {self.special}, "
                f"third order: {self.third}" + (f", {self.note}" if self.note else ""))
        ins = []
        for n, x in zip(self.names, self.inputs):
            s = f"#   {n}: {x.dtype} {x.shape}"
            if values:
                s += f" = {lit(x)}"
            ins.append(s)
        return "\n".join([head, "# inputs:"] + ins + [self.source()])

    def prefix(self, k):
        """The program cut after its k-th op, keeping only the ops that op needs."""
        ops = self.ops[:k]
        need, keep = {ops[-1].out}, []
        for op in reversed(ops):
            if op.out in need:
                keep.append(op)
                need.update(op.args)
        return Program(self.seed, self.kind, self.special, self.inputs, keep[::-1],
                       ops[-1].out, self.realify, self.reduce, self.third,
                       note=f"cut after op {k} of seed {self.seed}", how=self.how)

    def isolated(self, k, j=None):
        """Op k alone (or ops j..k that op k needs), on the concrete values of the
        operands they take from earlier ops as inputs."""
        j = k if j is None else j
        env = {"np": np, "m": dnp, "L": DUALREV}
        env.update(zip(self.names, self.inputs))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for o in self.ops[:j - 1]:
                env[o.out] = np.asarray(eval(o.expr(), env))
        need, seg = {self.ops[k - 1].out}, []
        for op in reversed(self.ops[j - 1:k]):
            if op.out in need:
                seg.append(op)
                need.update(op.args)
        seg = seg[::-1]
        made = {op.out for op in seg}
        outside = list(dict.fromkeys(a for op in seg for a in op.args if a not in made))
        inputs = [np.array(env[a]) for a in outside]
        rename = {a: f"x{i}" for i, a in enumerate(outside)}
        ops = []
        for op in seg:
            rename[op.out] = f"v{len(inputs) + len(ops)}"
            ops.append(Op(op.spec, op.template, tuple(rename[a] for a in op.args),
                          rename[op.out]))
        cplx = any(x.dtype.kind == "c" for x in inputs)
        kind = ("holo" if self.kind == "holo" else "complex") if cplx else "real"
        what = f"op {k}" if j == k else f"ops {j}-{k}"
        return Program(self.seed, kind, self.special, inputs, ops, ops[-1].out, self.realify,
                       self.reduce, self.third, note=f"{what} of seed {self.seed} alone",
                       how=self.how)


# ============================================================================ the generator

def _bcast(*shapes):
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        return None


class Gen:
    """Draws one program; the op specs call its helpers to pick operands."""

    def __init__(self, seed, n_ops=(3, 10), kind=None, special=None, focus=None, skip=()):
        self.seed, self.focus, self.skip = seed, focus, tuple(skip)
        self.rng = rng = np.random.default_rng(seed)
        self.kind = kind or rng.choice(["real", "real", "real", "complex", "holo"])
        self.special = special or rng.choice(
            ["smooth"] * 10 + ["ties", "ties", "zeros", "zeros", "nonsmooth", "infnan"])
        if self.special == "infnan":
            self.kind = "real"      # complex infinities: see acceptable()
        self.guarded = self.special not in ("nonsmooth", "infnan")
        self.n_ops = int(rng.integers(n_ops[0], n_ops[1] + 1))
        self.vals = {}            # name -> concrete value
        self.order = []           # names, oldest first
        self.env = {"np": np, "m": dnp, "L": DUALREV}

    # ------------------------------------------------------------ inputs
    def input_shapes(self, n):
        rng = self.rng
        while True:
            nd = int(rng.choice([0, 1, 1, 2, 2, 2, 3, 3]))
            base = tuple(int(rng.choice([1, 2, 3, 3])) for _ in range(nd))
            if np.prod(base, dtype=int) <= 12:
                break
        shapes = [base]
        for _ in range(n - 1):
            r = int(rng.integers(0, nd + 1))
            s = [1 if rng.random() < 0.3 else d for d in base[nd - r:]]
            shapes.append(tuple(s))
        rng.shuffle(shapes)
        return shapes

    def input_value(self, shape):
        rng, cplx = self.rng, self.kind != "real"

        def draw():
            if self.special == "ties":
                grid = np.array([-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5])
                return rng.choice(grid, shape)
            return rng.standard_normal(shape)
        x = draw() + (1j * draw() if cplx else 0)
        x = np.array(x, dtype=np.complex128 if cplx else np.float64)
        if self.special in ("zeros", "nonsmooth") and x.size:
            x[rng.random(shape) < 0.35] = 0
        if self.special == "infnan" and x.size:
            for _ in range(int(rng.integers(1, 3))):
                pos = tuple(int(rng.integers(0, d)) for d in shape)
                x[pos] = rng.choice([np.inf, -np.inf, np.nan])
        return x

    # ------------------------------------------------------------ helpers for the specs
    def val(self, name):
        return self.vals[name]

    def shape(self, name):
        return np.shape(self.vals[name])

    def is_c(self, name):
        return np.iscomplexobj(self.vals[name])

    def maxabs(self, name):
        v = np.abs(self.vals[name])
        v = v[np.isfinite(v)]
        return float(v.max()) if v.size else 0.0

    def minabs(self, name):
        v = np.abs(self.vals[name])
        v = v[np.isfinite(v)]
        return float(v.min()) if v.size else 1.0

    def coin(self, p=0.5):
        return self.rng.random() < p

    def choice(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def pick(self, pred=None, fresh=0.7):
        """An operand: the newest value (with probability ``fresh``) or any earlier one."""
        cands = [n for n in self.order if pred is None or pred(n)]
        if not cands:
            return None
        if cands[-1] == self.order[-1] and self.coin(fresh):
            return cands[-1]
        return self.choice(cands)

    def partner(self, a, pred=None):
        """A second operand broadcast-compatible with a (the result not too large)."""
        def ok(n):
            s = _bcast(self.shape(a), self.shape(n))
            return s is not None and math.prod(s) <= MAX_SIZE and (pred is None or pred(n))
        return self.pick(ok, fresh=0.3)

    def scaled(self, a, limit):
        """``{i}`` or ``({i} * c)``: a scaled down to |a| <= limit (guarded programs)."""
        big = self.maxabs(a)
        if not self.guarded or big <= limit:
            return "{0}"
        return "({0} * " + lit(round(limit / big, 3)) + ")"

    def axis_arg(self, a):
        """A random ``axis=`` for a reduction over a (or '' for all axes)."""
        nd = len(self.shape(a))
        if nd == 0 or self.coin(0.3):
            return ""
        if nd > 1 and self.coin(0.3):
            k = int(self.rng.integers(1, nd + 1))
            ax = tuple(sorted(int(i) for i in self.rng.choice(nd, k, replace=False)))
            return f", axis={lit(ax)}"
        ax = int(self.rng.integers(-nd, nd))
        return f", axis={ax}"

    def keepdims(self):
        return ", keepdims=True" if self.coin(0.3) else ""

    # ------------------------------------------------------------ drawing
    def add(self, op_spec, template, args):
        name = f"v{len(self.order)}"
        expr = template.format(*args)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            try:
                value = np.asarray(eval(expr, self.env, dict(self.vals)))
            except np.exceptions.ComplexWarning:
                return False        # a complex value cast to real: not a program to draw
        if not self.acceptable(value, args):
            return False
        self.vals[name] = value
        self.order.append(name)
        self.ops.append(Op(op_spec, template, tuple(args), name))
        return True

    def acceptable(self, value, args):
        if value.dtype not in (np.float64, np.complex128):
            return False
        if value.size == 0 or value.size > MAX_SIZE or value.ndim > MAX_NDIM:
            return False
        if self.kind == "holo" and value.dtype.kind != "c":
            return False
        # Complex infinities have no one arithmetic: NumPy multiplies 2 * (inf+0j)
        # as (2+0j) * (inf+0j) = inf+nanj, XLA gives inf+0j, C99's Annex G other
        # values again; results there would compare the two libraries' complex
        # arithmetic, not their derivatives.
        if value.dtype.kind == "c" and not np.all(np.isfinite(value)):
            return False
        if self.guarded:
            if not np.all(np.isfinite(value)):
                return False
            if value.size and np.max(np.abs(value)) > 1e4:
                return False
        return True

    def allowed(self):
        return [n for n, s in SPECS.items()
                if (self.kind != "holo" or s.holo) and n not in self.skip]

    def draw(self):
        n_in = int(self.rng.integers(1, 4))
        inputs = [self.input_value(s) for s in self.input_shapes(n_in)]
        for i, x in enumerate(inputs):
            self.vals[f"x{i}"] = x
            self.order.append(f"x{i}")
        self.ops = []
        names = self.allowed()
        while len(self.ops) < self.n_ops:
            for _ in range(50):
                spec = self.focus if self.focus in names and self.coin(0.4) else self.choice(names)
                built = SPECS[spec].build(self)
                if built is not None and self.add(spec, *built):
                    break
            else:
                break
        self.fold_dangling()
        third = self.choice(THIRD_FORMS[self.kind])
        return Program(self.seed, self.kind, self.special, inputs, self.ops, self.order[-1],
                       realify=self.choice(["real", "imag", "abs"]),
                       reduce=self.choice(["wsum", "wsum", "sum", "mean", "max", "min", "prod",
                                           "sqsum"]),
                       third=third)

    def fold_dangling(self):
        """Values no later op uses are added (as their mean) into the output, so that
        every op reaches it."""
        used = {a for op in self.ops for a in op.args}
        dangling = [op.out for op in self.ops[:-1] if op.out not in used]
        for d in dangling:
            last = self.order[-1]
            if self.kind != "holo" and self.is_c(d) and not self.is_c(last) and self.coin(0.5):
                tmpl = "{0} + m.real(m.mean({1}))"
            else:
                tmpl = "{0} + m.mean({1})"
            self.add("add", tmpl, (last, d))


def generate(seed, n_ops=(3, 10), kind=None, special=None, focus=None, skip=()):
    """The program of this seed (the same program for the same arguments).  kind,
    special: force the kind of program or of inputs; focus: a primitive drawn more
    often (about 40% of the ops); skip: primitives not drawn (while a bug in one
    is open, a campaign can look past it)."""
    prog = Gen(seed, n_ops, kind, special, focus, skip).draw()
    how = "" if tuple(n_ops) == (3, 10) else f" --ops {n_ops[0]}-{n_ops[1]}"
    for flag, v in (("kind", kind), ("special", special), ("focus", focus)):
        how += f" --{flag} {v}" if v else ""
    how += f" --skip {','.join(skip)}" if skip else ""
    prog.how = how
    return prog


# ============================================================================ op specs

class Spec:
    """How to draw an op for one primitive: ``build(gen)`` returns (template, operand
    names) or None (no suitable operand now).  ``holo``: the op is holomorphic (or
    piecewise so), so it may appear in holomorphic programs."""

    def __init__(self, build, holo=True):
        self.build, self.holo = build, holo


SPECS = {}


def spec(name, holo=True):
    def deco(fn):
        SPECS[name] = Spec(fn, holo)
        return fn
    return deco


# Unary elementwise operations without a singular point: the argument is scaled
# down (in guarded programs) only where the value would overflow or reach a pole.
def _unary(name, real_limit, complex_limit, forms):
    def build(g):
        a = g.pick()
        limit = complex_limit if g.is_c(a) else real_limit
        x = g.scaled(a, limit)
        return g.choice(forms).format(x), (a,)
    spec(name)(build)


_unary("sin", 1e3, 3.0, ["m.sin({})"])
_unary("cos", 1e3, 3.0, ["m.cos({})"])
_unary("tan", 1.2, 1.0, ["m.tan({})"])
_unary("tanh", 1e3, 1.0, ["m.tanh({})"])
_unary("sinh", 4.0, 3.0, ["m.sinh({})"])
_unary("cosh", 4.0, 3.0, ["m.cosh({})"])
_unary("exp", 4.0, 3.0, ["m.exp({})"])
_unary("sigmoid", 1e3, 2.0, ["L.sigmoid({})"])
_unary("square", 30.0, 30.0, ["m.square({})"])
_unary("negative", math.inf, math.inf, ["-{}", "m.negative({})"])


def _away_from_cut(g, a):
    """log/sqrt of a complex value: its entries away from 0 and the branch cut."""
    v = g.val(a)
    return g.minabs(a) > 0.2 and bool(np.all((v.real > 0) | (np.abs(v.imag) > 0.2)))


def _log_sqrt(name):
    def build(g):
        a = g.pick()
        if g.is_c(a):
            if _away_from_cut(g, a) or not g.guarded:
                return f"m.{name}({{0}})", (a,)
            if g.kind == "holo":
                return None
            return f"m.{name}(m.abs({{0}}) + 0.5)", (a,)
        if not g.guarded:
            return g.choice([f"m.{name}({{0}})", f"m.{name}(m.abs({{0}}))"]), (a,)
        if np.all(g.val(a) > 0.2) and g.coin():
            return f"m.{name}({{0}})", (a,)
        return f"m.{name}(m.abs({{0}}) + 0.5)", (a,)
    spec(name)(build)


_log_sqrt("log")
_log_sqrt("sqrt")


@spec("abs", holo=False)
def _abs(g):
    a = g.pick()
    # The builtin abs() only on real values (see CONVENTIONS).
    return g.choice(["m.abs({0})", "m.absolute({0})"] + ([] if g.is_c(a) else ["abs({0})"])), (a,)


@spec("real", holo=False)
def _real(g):
    a = g.pick(g.is_c) if g.coin(0.8) else None
    a = a or g.pick()
    return g.choice(["m.real({0})", "{0}.real"]), (a,)


@spec("imag", holo=False)
def _imag(g):
    a = g.pick(g.is_c) if g.coin(0.8) else None
    a = a or g.pick()
    return g.choice(["m.imag({0})", "{0}.imag"]), (a,)


@spec("conj", holo=False)
def _conj(g):
    a = g.pick(g.is_c) if g.coin(0.8) else None
    a = a or g.pick()
    return g.choice(["m.conj({0})", "m.conjugate({0})", "{0}.conj()"]), (a,)


@spec("angle", holo=False)
def _angle(g):
    a = g.pick()
    if g.guarded and g.minabs(a) < 0.2:
        return None
    return "m.angle({0})", (a,)


@spec("astype")
def _astype(g):
    a = g.pick()
    if g.is_c(a):
        return "m.astype(m.astype({0}, np.complex64), np.complex128)", (a,)
    return g.choice(["m.astype(m.astype({0}, np.float32), np.float64)",
                     "m.astype({0}, np.complex128)", "{0}.astype(np.complex128)"]), (a,)


# ---------------------------------------------------------------- binary elementwise

def _const(g, a):
    """A constant second operand of a's kind (sometimes complex in non-holomorphic
    programs, which makes a real value complex)."""
    c = g.choice([1.5, -0.5, 2.0, 0.25, -3.0])
    if g.kind == "real" and g.coin(0.25):
        return lit(complex(c, g.choice([0.5, -1.0])))
    return lit(c)


def _arith(name, op, fn):
    def build(g):
        a = g.pick()
        r = g.rng.random()
        if r < 0.6:
            b = g.partner(a)
            if b is None:
                return None
            form = g.choice([f"{{0}} {op} {{1}}", f"m.{fn}({{0}}, {{1}})"])
            return form, (a, b)
        if r < 0.85:
            c = _const(g, a)
            return g.choice([f"{{0}} {op} {c}", f"{c} {op} {{0}}", f"m.{fn}({{0}}, {c})"]), (a,)
        return f"{{0}} {op} {{0}}", (a,)
    spec(name)(build)


_arith("add", "+", "add")
_arith("subtract", "-", "subtract")
_arith("multiply", "*", "multiply")


@spec("divide")
def _divide(g):
    a = g.pick()
    b = g.partner(a) if g.coin(0.8) else None
    if b is None:
        return g.choice(["{0} / 4.0", "m.divide({0}, -1.5)"]), (a,)
    if not g.guarded or (g.minabs(b) > 0.3 and g.coin()):
        return g.choice(["{0} / {1}", "m.divide({0}, {1})", "m.true_divide({0}, {1})"]), (a, b)
    if g.is_c(b):
        if g.kind == "holo":
            if g.minabs(b) > 0.3:
                return "{0} / {1}", (a, b)
            return None
        return "{0} / (m.abs({1}) + 0.5)", (a, b)
    return g.choice(["{0} / (m.square({1}) + 0.5)", "{0} / ({1} * {1} + 0.5)"]), (a, b)


@spec("power")
def _power(g):
    a = g.pick()
    r = g.rng.random()
    if r < 0.35:        # a Python integer exponent: no guard needed, except below 0
        k = g.choice([0, 1, 2, 3, 2, 3, -1, -2])
        if k < 0 and g.guarded and g.minabs(a) < 0.3:
            k = -k
        if g.maxabs(a) > 10 and g.guarded:
            k = min(k, 2)
        return g.choice([f"{{0}} ** {k}", f"m.power({{0}}, {k})"]), (a,)
    if r < 0.5:         # an array of integral exponents, as floats (0 among them)
        shape = g.shape(a)[-1:] if g.shape(a) else ()
        ks = g.rng.choice([0.0, 1.0, 2.0, 3.0], shape)
        if g.maxabs(a) > 10 and g.guarded:
            ks = np.minimum(ks, 2.0)
        return f"m.power({{0}}, {lit(np.asarray(ks))})", (a,)
    if r < 0.65:        # a traced exponent of a constant base
        x = g.scaled(a, 3.0)
        base = g.choice(["2.0", "0.5", lit(np.array([0.0, 1.5, 2.0])[:g.shape(a)[-1]])
                         if g.shape(a) and g.shape(a)[-1] <= 3 and g.kind != "holo" else "1.5"])
        return f"{base} ** {x}", (a,)
    # base ** exponent, both traced (or a float exponent): the base kept off 0 and
    # (real) positive, the exponent bounded.
    b = g.partner(a) if g.coin(0.7) else None
    if g.is_c(a):
        if g.guarded and not _away_from_cut(g, a):
            return None
        base = "{0}"
    elif not g.guarded:
        base = g.choice(["{0}", "m.abs({0})"])
    else:
        base = "(m.abs({0}) + 0.5)"
    if b is None:
        if g.coin(0.3):     # an integral float: JAX's lax.pow, not integer_pow
            return f"m.power({base}, {g.choice(['2.0', '3.0', '1.0'])})", (a,)
        return f"{base} ** {g.choice(['0.5', '1.5', '-0.5', '2.5'])}", (a,)
    # Always m.power, never **, with a traced exponent (see CONVENTIONS).
    y = g.scaled(b, 2.0).replace("{0}", "{1}")
    return f"m.power({base}, {y})", (a, b)


def _extremum(name):
    def build(g):
        a = g.pick()
        r = g.rng.random()
        if r < 0.55:
            b = g.partner(a)
            if b is None:
                return None
            return f"m.{name}({{0}}, {{1}})", (a, b)
        if r < 0.75:
            return f"m.{name}({{0}}, {g.choice(['0.0', '0.5', '-1.0'])})", (a,)
        if r < 0.9:
            return f"m.{name}({{0}}, -{{0}})", (a,)     # ties wherever a == 0
        return f"m.{name}({{0}}, {{0}} * 1.0)", (a,)    # ties everywhere
    spec(name)(build)


_extremum("maximum")
_extremum("minimum")


def _modulo(name):
    def build(g):
        a = g.pick()
        if g.is_c(a):
            if g.kind == "holo":
                return None
            x = "m.real({0})"
        else:
            x = "{0}"
        r = g.rng.random()
        if r < 0.3:
            c = g.choice(["1.5", "-0.75", "2.0", "-3.0"])
            forms = [f"m.{name}({x}, {c})"] + ([f"{x} % {c}"] if name == "remainder" else [])
            return g.choice(forms), (a,)
        if r < 0.4:
            return f"m.{name}(2.5, {x})" if not g.guarded else (
                f"m.{name}(2.5, {x} * {x} + 0.5)"), (a,)
        b = g.partner(a)
        if b is None:
            return None
        y = "m.real({1})" if g.is_c(b) else "{1}"
        if g.guarded:
            y = g.choice([f"({y} * {y} + 0.5)", f"-({y} * {y} + 0.75)"])
        forms = [f"m.{name}({x}, {y})"]
        if name == "remainder":
            forms += [f"m.mod({x}, {y})", f"{x} % {y}"]
        return g.choice(forms), (a, b)
    spec(name, holo=False)(build)


_modulo("remainder")
_modulo("fmod")


@spec("where")
def _where(g):
    a = g.pick()
    b = g.partner(a) if g.coin(0.75) else None
    shape = g.shape(a) if b is None else _bcast(g.shape(a), g.shape(b))
    second = "{1}" if b is not None else g.choice(["0.0", "1.5"])
    args = (a,) if b is None else (a, b)
    if g.coin(0.4):
        mask = g.rng.random(shape) < 0.5
        cond = lit(np.asarray(mask))
    else:
        c = g.pick(lambda n: _bcast(g.shape(n), shape) == shape, fresh=0.3) or a
        k = len(args)
        args = args + (c,)
        cv = f"m.real({{{k}}})" if g.is_c(c) else f"{{{k}}}"
        cond = f"{cv} {g.choice(['>', '>=', '<'])} {g.choice(['0.0', '0.5', '-0.5'])}"
    return f"m.where({cond}, {{0}}, {second})", args


# ---------------------------------------------------------------- reductions

def _reduction(name, forms):
    def build(g):
        a = g.pick()
        if name == "prod" and g.guarded and g.maxabs(a) > 3:
            return None
        fn = g.choice(forms)
        kw = g.axis_arg(a) + g.keepdims()
        if fn == "method":
            return f"{{0}}.{name}({kw[2:]})", (a,)
        return f"m.{fn}({{0}}{kw})", (a,)
    spec(name)(build)


_reduction("sum", ["sum", "sum", "mean", "method"])
_reduction("max", ["max", "max", "amax", "method"])
_reduction("min", ["min", "min", "amin", "method"])
_reduction("prod", ["prod", "prod", "method"])


# ---------------------------------------------------------------- shapes

def _factor_shape(rng, size):
    """A random shape of this size (dims, possibly of length 1)."""
    dims = []
    left = size
    while left > 1:
        ds = [d for d in range(2, left + 1) if left % d == 0]
        d = int(rng.choice(ds))
        dims.append(d)
        left //= d
    dims += [1] * int(rng.integers(0, 2))
    rng.shuffle(dims)
    return tuple(dims[:MAX_NDIM])


@spec("reshape")
def _reshape(g):
    a = g.pick()
    s = g.shape(a)
    size = math.prod(s)
    r = g.rng.random()
    if r < 0.45:
        new = _factor_shape(g.rng, size)
        if math.prod(new) != size:
            return None
        if new and g.coin(0.3):
            new = tuple(-1 if i == 0 else d for i, d in enumerate(new))
        return g.choice([f"m.reshape({{0}}, {lit(new)})", f"{{0}}.reshape({lit(new)})"]), (a,)
    if r < 0.6:
        return g.choice(["m.ravel({0})", "{0}.ravel()"]), (a,)
    if r < 0.8:
        ax = int(g.rng.integers(-len(s) - 1, len(s) + 1))
        return f"m.expand_dims({{0}}, {ax})", (a,)
    ones = [i for i, d in enumerate(s) if d == 1]
    if not ones:
        return None
    if g.coin():
        return "m.squeeze({0})", (a,)
    return f"m.squeeze({{0}}, axis={g.choice(ones)})", (a,)


@spec("transpose")
def _transpose(g):
    a = g.pick(lambda n: len(g.shape(n)) >= 2) or g.pick()
    nd = len(g.shape(a))
    if nd < 2:
        return "m.transpose({0})", (a,)
    r = g.rng.random()
    if r < 0.4:
        perm = tuple(int(i) for i in g.rng.permutation(nd))
        if g.coin(0.3):
            perm = tuple(p - nd if g.coin() else p for p in perm)
        return f"m.transpose({{0}}, {lit(perm)})", (a,)
    if r < 0.55:
        return g.choice(["{0}.T", "m.transpose({0})"]), (a,)
    if r < 0.8:
        i, j = (int(x) for x in g.rng.choice(nd, 2, replace=False))
        return f"m.swapaxes({{0}}, {i}, {j - nd})", (a,)
    i, j = int(g.rng.integers(nd)), int(g.rng.integers(-nd, nd))
    return f"m.moveaxis({{0}}, {i}, {j})", (a,)


@spec("broadcast_to")
def _broadcast_to(g):
    a = g.pick(lambda n: math.prod(g.shape(n)) <= MAX_SIZE // 2)
    if a is None:
        return None
    s = list(g.shape(a))
    s = [int(g.rng.integers(2, 4)) if d == 1 and g.coin(0.6) else d for d in s]
    lead = [int(g.rng.integers(1, 4)) for _ in range(int(g.rng.integers(0, 2)))]
    new = tuple(lead + s)
    if new == g.shape(a) or len(new) > MAX_NDIM:
        return None
    return f"m.broadcast_to({{0}}, {lit(new)})", (a,)


def _random_index(g, shape, advanced=True, dups=True):
    """A random index into an array of this shape: ints, slices, None, ..., and
    (sometimes) integer arrays or a boolean mask."""
    rng = g.rng
    nd = len(shape)
    if nd == 0:
        return g.choice([(), None, Ellipsis])
    if advanced and rng.random() < 0.35:
        r = rng.random()
        if r < 0.25:    # a boolean mask over the first axis
            mask = rng.random(shape[0]) < 0.6
            if not mask.any():
                mask[int(rng.integers(shape[0]))] = True
            return (mask,) + (slice(None),) * int(rng.integers(0, nd))
        k = int(rng.integers(1, 4))
        n_arr = 1 if nd == 1 or r < 0.7 else 2
        axes = sorted(int(i) for i in rng.choice(nd, n_arr, replace=False))
        idx = []
        for ax in range(nd):
            if ax in axes:
                if dups:
                    arr = rng.integers(-shape[ax], shape[ax], k)
                else:
                    arr = rng.permutation(shape[ax])[:k]
                    k = len(arr)
                idx.append(np.asarray(arr, dtype=np.int64))
            else:
                idx.append(slice(None))
        if not dups and n_arr == 2:
            return None
        if n_arr == 2 and len(idx[axes[0]]) != len(idx[axes[1]]):
            return None
        while idx and isinstance(idx[-1], slice) and idx[-1] == slice(None) and rng.random() < 0.5:
            idx.pop()
        return tuple(idx)
    idx = []
    for d in shape:
        r = rng.random()
        if r < 0.3:
            idx.append(int(rng.integers(-d, d)))
        elif r < 0.8:
            start = int(rng.integers(-d, d)) if rng.random() < 0.5 else None
            step = g.choice([None, None, 2, -1])
            idx.append(slice(start, None, step))
        else:
            idx.append(slice(None))
        if rng.random() < 0.1:
            idx.append(None)
    if rng.random() < 0.15:
        idx.insert(int(rng.integers(0, len(idx) + 1)), Ellipsis)
        idx = idx[:-1] if idx[-1] is not Ellipsis else idx
    return tuple(idx)


@spec("getitem")
def _getitem(g):
    a = g.pick()
    idx = _random_index(g, g.shape(a))
    if idx is None:
        return None
    return f"{{0}}[{sub(idx)}]", (a,)


@spec("scatter_add")
def _scatter_add(g):
    """getitem's pullback on its own: g added into zeros of a larger shape at idx."""
    a = g.pick()
    s = g.shape(a)
    rng = g.rng
    if s and rng.random() < 0.5:      # an integer array on the first axis, with repeats
        n = int(rng.integers(1, 4))
        target = (n,) + s[1:]
        idx = (np.asarray(rng.integers(-n, n, s[0]), dtype=np.int64),)
    else:                              # slices (a window, maybe strided) or an int
        target, idx = [], []
        if not s or rng.random() < 0.3:
            n = int(rng.integers(1, 4))
            target.append(n)
            idx.append(int(rng.integers(-n, n)))
        for d in s:
            if rng.random() < 0.3:
                target.append(2 * d)
                idx.append(slice(int(rng.integers(0, 2)), None, 2))
            else:
                extra = int(rng.integers(0, 2))
                target.append(d + extra)
                idx.append(slice(extra, None) if extra and rng.random() < 0.5 else slice(0, d))
        target, idx = tuple(target), tuple(idx)
    if math.prod(target) > MAX_SIZE or np.empty(target)[idx].shape != s:
        return None
    return f"L.scatter_add({{0}}, {idx_lit(idx)}, {lit(tuple(target))})", (a,)


@spec("set_item")
def _set_item_spec(g):
    a = g.pick()
    # JAX leaves the winner among repeated indices unspecified: no repeats here.
    idx = _random_index(g, g.shape(a), dups=False)
    if idx is None:
        return None
    t = np.empty(g.shape(a))[idx].shape

    def fits(n):
        return (_bcast(g.shape(n), t) == t and (g.is_c(a) or not g.is_c(n)) and n != a)
    b = g.pick(fits, fresh=0.3)
    if b is None:
        if g.coin(0.5):
            return None
        return f"L.set_item({{0}}, {idx_lit(idx)}, {g.choice(['0.0', '2.5'])})", (a,)
    return f"L.set_item({{0}}, {idx_lit(idx)}, {{1}})", (a, b)


@spec("concatenate")
def _concatenate(g):
    a = g.pick(lambda n: len(g.shape(n)) >= 1)
    if a is None:
        return None
    s = g.shape(a)
    nd = len(s)
    if g.coin(0.3):     # stack: same shapes
        others = [n for n in g.order if g.shape(n) == s and n != a]
        b = g.choice(others) if others and g.coin(0.7) else a
        if 2 * math.prod(s) > MAX_SIZE or nd + 1 > MAX_NDIM:
            return None
        ax = int(g.rng.integers(-nd - 1, nd + 1))
        return f"m.stack([{{0}}, {{1}}], axis={ax})", (a, b)
    ax = int(g.rng.integers(0, nd))

    def fits(n):
        t = g.shape(n)
        return len(t) == nd and all(x == y for i, (x, y) in enumerate(zip(s, t)) if i != ax)
    parts = [a]
    for _ in range(int(g.rng.integers(1, 3))):
        b = g.pick(fits, fresh=0.3)
        parts.append(b)
    size = sum(math.prod(g.shape(p)) for p in parts)
    const = ""
    if g.coin(0.2):
        cs = s[:ax] + (1,) + s[ax + 1:]
        const = ", " + lit(np.full(cs, 0.5))
        size += math.prod(cs)
    if size > MAX_SIZE:
        return None
    axis = g.choice([ax, ax - nd]) if not (ax == 0 and g.coin(0.3)) else None
    body = ", ".join(f"{{{i}}}" for i in range(len(parts))) + const
    if axis is None:
        return f"m.concatenate([{body}])", tuple(parts)
    return f"m.concatenate([{body}], axis={axis})", tuple(parts)


# ---------------------------------------------------------------- products

@spec("matmul")
def _matmul(g):
    a = g.pick(lambda n: len(g.shape(n)) >= 1)
    if a is None:
        return None
    sa = g.shape(a)

    def fits(n):
        sb = g.shape(n)
        if not sb:
            return False
        k = sb[-2] if len(sb) >= 2 else sb[0]
        if k != sa[-1]:
            return False
        if len(sa) >= 2 and len(sb) >= 2 and _bcast(sa[:-2], sb[:-2]) is None:
            return False
        return True
    b = g.pick(fits, fresh=0.3)
    if b is not None:
        return g.choice(["{0} @ {1}", "m.matmul({0}, {1})"] +
                        (["m.dot({0}, {1})"] if len(g.shape(b)) <= 2 else [])), (a, b)
    if len(sa) >= 2:
        return g.choice(["{0} @ m.swapaxes({0}, -1, -2)", "m.swapaxes({0}, -1, -2) @ {0}"]), (a,)
    b = g.pick(lambda n: len(g.shape(n)) == 1, fresh=0.3)
    if b is not None and g.coin(0.3):
        return "m.outer({0}, {1})", (a, b)
    return "{0} @ {0}", (a,)


_LETTERS = "ijklpq"


def _einsum_build(g):
    """A random einsum over one or two operands: contractions, batch labels, sums,
    transposes, diagonals (a label repeated within an operand), '...', implicit
    outputs."""
    rng = g.rng
    a = g.pick()
    ops = [a]
    b = g.pick(fresh=0.3) if g.coin(0.6) else None
    if b is not None:
        ops.append(b)
    sizes = {}
    terms = []
    ell = g.coin(0.25)
    ell_shapes = []
    free = list(_LETTERS)
    for n in ops:
        s = g.shape(n)
        k = int(rng.integers(0, len(s) + 1)) if ell else 0
        ell_shapes.append(s[:k])
        term = "..." if ell else ""
        for d in s[k:]:
            same = [c for c, m in sizes.items() if m == d]
            if same and rng.random() < 0.5:
                c = g.choice(same)
                if c in term and rng.random() < 0.5:
                    c = None            # don't always take a diagonal
            else:
                c = None
            if c is None:
                if not free:
                    return None
                c = free.pop(0)
                sizes[c] = d
            term += c
        terms.append(term)
    if ell and _bcast(*ell_shapes) is None:
        return None
    labels = [c for c in sizes]
    if g.coin(0.25):        # implicit output
        sub_ = ",".join(terms)
        if not ell and all(sub_.count(c) != 1 for c in labels) and g.coin(0.5):
            pass
        spec_ = sub_
    else:
        keep = [c for c in labels if rng.random() < 0.6]
        rng.shuffle(keep)
        out = ("..." if ell else "") + "".join(keep)
        spec_ = ",".join(terms) + "->" + out
    with np.errstate(all="ignore"):
        try:
            res = np.einsum(spec_, *[g.val(n) for n in ops])
        except ValueError:
            return None
    if np.size(res) > MAX_SIZE:
        return None
    body = ", ".join(f"{{{i}}}" for i in range(len(ops)))
    return f"m.einsum({spec_!r}, {body})", tuple(ops)


spec("einsum")(_einsum_build)


@spec("sigmoid")
def _sigmoid(g):
    a = g.pick()
    return "L.sigmoid(" + g.scaled(a, 2.0 if g.is_c(a) else 1e3) + ")", (a,)


# ============================================================================ checks

def _tree_map(fn, tree):
    if isinstance(tree, (tuple, list)):
        return tuple(_tree_map(fn, t) for t in tree)
    return fn(tree)


def _pair(m, xs, us):
    """Σ_i Σ x_i * u_i (no conjugation: JAX's bilinear pairing)."""
    total = 0
    for x, u in zip(xs, us):
        total = total + m.sum(x * u)
    return total


THIRD_FORMS = {
    "real": ["fwd.rev.fwd", "rev.rev.rev", "fwd.fwd.fwd", "rev.fwd.rev", "jacfwd.jacrev.grad"],
    "complex": ["fwd.rev.fwd", "rev.rev.rev", "fwd.fwd.fwd", "rev.fwd.rev"],
    "holo": ["fwd.rev.fwd", "rev.rev.rev", "fwd.fwd.fwd", "rev.fwd.rev", "jacfwd.jacrev.grad"],
}

# vmap: of the program over a batch of three inputs (each argument batched along
# its first or last axis), of its gradient, of its JVP over a batch of tangents and
# of its pullback over a batch of cotangents.
VMAP_CHECKS = ["vmap", "vmap_grad", "vmap_jvp", "vmap_vjp"]
CHECKS = {
    "real": ["value", "grad", "jvp", "vjp", "hessian", "third"] + VMAP_CHECKS,
    "complex": ["value", "grad", "jvp", "vjp", "fwd_over_rev", "third"] + VMAP_CHECKS,
    "holo": ["value", "grad", "jvp", "vjp", "hessian", "third"] + VMAP_CHECKS,
}


class Directions:
    """Tangents, cotangents and the directions of the higher-order checks, from the
    program's seed."""

    def __init__(self, prog, out):
        rng = np.random.default_rng([prog.seed, 1])
        xs = prog.inputs
        cplx = prog.kind != "real"

        def like(shape, c):
            x = np.round(rng.uniform(-1.5, 1.5, shape), 2)
            if c:
                x = x + 1j * np.round(rng.uniform(-1.5, 1.5, shape), 2)
            return np.asarray(x)
        self.t = tuple(like(x.shape, cplx) for x in xs)
        self.u = tuple(like(x.shape, cplx) for x in xs)
        self.v = tuple(like(x.shape, cplx) for x in xs)
        self.w3 = tuple(like(x.shape, cplx) for x in xs)
        self.ct = like(out.shape, out.dtype.kind == "c")
        # The batches of the vmap checks: three examples along a drawn axis (first or
        # last) per argument; the inputs' are the inputs and two small steps from them.
        rng = np.random.default_rng([prog.seed, 2])
        self.in_axes = tuple(int(rng.choice([0, -1])) for _ in xs)
        steps = [tuple(np.round(0.01 * like(x.shape, cplx), 4) for x in xs) for _ in range(2)]
        self.xb = tuple(np.stack([x, x + s1, x + s2], axis=ax)
                        for x, s1, s2, ax in zip(xs, *steps, self.in_axes))
        self.tb = tuple(np.stack(ts) for ts in zip(self.t, self.u, self.v))
        self.ctb = np.stack([self.ct, like(out.shape, out.dtype.kind == "c"),
                             like(out.shape, out.dtype.kind == "c")])


def run_checks(lib, prog, dirs, only=None, xs=None, convert=True):
    """The checks of prog's kind with one library; {check: result or exception}."""
    A, m, L = lib.ad, lib.m, lib
    Fp, fp = prog.fns()
    xs = tuple(prog.inputs) if xs is None else xs
    n = len(xs)
    an = tuple(range(n))
    holo = prog.kind == "holo"
    hk = dict(holomorphic=True) if holo else {}
    F = lambda *a: Fp(m, L, *a)  # noqa: E731
    f = lambda *a: fp(m, L, *a)  # noqa: E731

    def grad(fn):
        return A.grad(fn, an, **hk)

    def pair(gs, us):
        p = _pair(m, gs, us)
        return m.real(p) if prog.kind == "complex" else p

    def third():
        form = prog.third
        if form == "fwd.rev.fwd":
            inner = lambda *zs: A.jvp(f, zs, dirs.u)[1]  # noqa: E731
            return A.jvp(lambda *ys: grad(inner)(*ys), xs, dirs.v)[1]
        if form == "rev.rev.rev":
            h1 = lambda *ys: pair(grad(f)(*ys), dirs.u)  # noqa: E731
            h2 = lambda *ys: pair(grad(h1)(*ys), dirs.v)  # noqa: E731
            return grad(h2)(*xs)
        if form == "fwd.fwd.fwd":
            j1 = lambda *zs: A.jvp(f, zs, dirs.u)[1]  # noqa: E731
            j2 = lambda *ys: A.jvp(j1, ys, dirs.v)[1]  # noqa: E731
            return A.jvp(j2, xs, dirs.w3)[1]
        if form == "rev.fwd.rev":
            j = lambda *ys: pair(A.jvp(grad(f), ys, dirs.u)[1], dirs.v)  # noqa: E731
            return grad(j)(*xs)
        if form == "jacfwd.jacrev.grad":
            return A.jacfwd(A.jacrev(grad(f), an, **hk), an, **hk)(*xs)
        raise ValueError(form)

    def vjp():
        out, pull = A.vjp(F, *xs)
        return out, pull(dirs.ct)

    def vmap_vjp():
        return A.vmap(A.vjp(F, *xs)[1])(dirs.ctb)

    table = {
        "vmap": lambda: A.vmap(F, in_axes=dirs.in_axes)(*dirs.xb),
        "vmap_grad": lambda: A.vmap(grad(f), in_axes=dirs.in_axes)(*dirs.xb),
        "vmap_jvp": lambda: A.vmap(lambda *t: A.jvp(F, xs, t)[1])(*dirs.tb),
        "vmap_vjp": vmap_vjp,
        "value": lambda: (F(*xs), f(*xs)),
        "grad": lambda: grad(f)(*xs),
        "jvp": lambda: A.jvp(F, xs, dirs.t),
        "vjp": vjp,
        "hessian": lambda: A.hessian(f, an, **hk)(*xs),
        "fwd_over_rev": lambda: A.jvp(grad(f), xs, dirs.t)[1],
        "third": third,
    }
    results = {}
    for name in CHECKS[prog.kind]:
        if only is not None and name != only:
            continue
        if name == "third" and prog.third == "jacfwd.jacrev.grad" and \
                sum(x.size for x in xs) > 4:
            continue                    # n**3 sweeps: tiny inputs only
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = table[name]()
                results[name] = _tree_map(_to_numpy, r) if convert else r
        except Exception as e:  # noqa: BLE001  (a failure to report, not to raise)
            results[name] = e
    return results


# Compiling faster: XLA's new fusion emitters cost most of the compile time of
# these small programs and buy nothing at their sizes.
XLA_OPTIONS = {"xla_cpu_use_fusion_emitters": False}


def jax_checks(prog, dirs, only=None):
    """run_checks for JAX, compiled: one ``jax.jit`` of all the checks together (for
    programs this small, compiling once costs less than JAX's op-by-op dispatch,
    which compiles each primitive for each new shape).  A check that raises while
    being traced is reported as raised; the others still run.

    Compiled code is not always JAX's rules in IEEE arithmetic, op by op: XLA's
    algebraic simplifier rewrites across operations in ways exact for finite
    values only (``x * convert(mask)`` becomes ``select(mask, x, 0)``, which drops
    a nan the product keeps), and a value that fusion recomputes may round
    differently, so that max/min's test ``x == max(x)`` for the entries that
    attain the extreme fails.  So a check that disagrees is run again op by op
    (``eager_check``), and that is the verdict.
    """
    errors = {}

    def everything(xs, t, u, v, w3, ct, xb, tb, ctb):
        d = Directions.__new__(Directions)
        d.t, d.u, d.v, d.w3, d.ct = t, u, v, w3, ct
        d.xb, d.tb, d.ctb, d.in_axes = xb, tb, ctb, dirs.in_axes
        res = run_checks(JAX, prog, d, only, xs=xs, convert=False)
        errors.update((k, r) for k, r in res.items() if isinstance(r, Exception))
        return {k: r for k, r in res.items() if not isinstance(r, Exception)}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = jax.jit(everything, compiler_options=XLA_OPTIONS)(
                tuple(prog.inputs), dirs.t, dirs.u, dirs.v, dirs.w3, dirs.ct, dirs.xb,
                dirs.tb, dirs.ctb)
        except Exception as e:  # noqa: BLE001  (raised after tracing: by XLA)
            return {k: e for k in CHECKS[prog.kind] if only is None or k == only}
    out = {k: _tree_map(np.asarray, r) for k, r in out.items()}
    out.update(errors)
    return out


def eager_check(prog, dirs, check):
    """One check with JAX op by op (no jit): slower, and exactly JAX's rules."""
    with jax.disable_jit():
        return run_checks(JAX, prog, dirs, only=check)[check]


def _to_numpy(x):
    if isinstance(x, dualrev.Tracer):
        raise AssertionError(f"a traced value leaked out of a transformation: {x!r}")
    return np.asarray(x)


# ============================================================================ comparison

def _parts(x):
    """A float view: complex values as (real, imag) pairs."""
    x = np.asarray(x)
    if x.dtype.kind == "c":
        return np.stack([x.real, x.imag], axis=-1).astype(np.float64)
    return x.astype(np.float64)


def compare(ours, theirs, rtol=RTOL, atol=ATOL):
    """None if the two results agree, else a description of the first difference.

    Same structure, shapes and dtypes; then, per entry (complex: per part):
    nan where and only where JAX has nan, inf where JAX has the same inf, and
    finite values within ``rtol * (|expected| + M)``, with M the largest finite
    magnitude in the whole result of the check (a Hessian is one scale): the
    rounding of a sum is relative to its terms, not to what is left after they
    cancel, and the terms are bounded by the result's largest entries.
    rtol = 1e-7: float64 programs of at most a dozen operations, differentiated
    three times, lose a few digits in the worst case; a wrong rule is off by
    O(1) relative.  Plus atol = 1e-12 for results that cancel to (nearly) 0
    altogether, where M says nothing of the terms' size (their rounding is about
    1e-16 times their size, and values in guarded programs stay below 1e4);
    ``check_one`` raises atol to 1e-13 times the largest value the computation
    went through (``term_scale``) before it calls a difference a failure.

    A complex entry that is not finite (a part inf or nan) need only be matched by
    one that is not finite either: NumPy and XLA multiply and divide complex
    values by the textbook formulas and by their own, which put inf and nan in
    different parts (1 / (2 * 0j) is inf+nanj in NumPy, nan+nanj in XLA); which
    part holds what is the libraries' complex arithmetic, not a derivative.
    """
    lo, lt = helpers.leaves(ours), helpers.leaves(theirs)
    if helpers.structure(ours) != helpers.structure(theirs):
        return f"structure {helpers.structure(ours)} != JAX's {helpers.structure(theirs)}"
    mags = [np.abs(_parts(e)[np.isfinite(_parts(e))]) for e in lt]
    M = max([float(x.max()) for x in mags if x.size] or [0.0])
    for k, (a, e) in enumerate(zip(lo, lt)):
        a, e = np.asarray(a), np.asarray(e)
        if a.shape != e.shape:
            return f"leaf {k}: shape {a.shape} != JAX's {e.shape}"
        if a.dtype != e.dtype:
            return f"leaf {k}: dtype {a.dtype} != JAX's {e.dtype}"
        pa, pe = _parts(a), _parts(e)
        if a.dtype.kind == "c":
            ia, ie = ~np.isfinite(a), ~np.isfinite(e)
            # both not finite: agree (as complex infinities); one only: disagree
            pa[ia & ie], pe[ia & ie] = 0.0, 0.0
            pa[ia & ~ie] = np.nan
            pe[ie & ~ia] = np.nan
        bad = mismatch(pa, pe, M, rtol, atol)
        if bad.any():
            pos = np.argwhere(bad)[0]
            if a.dtype.kind == "c":
                where, part = tuple(int(i) for i in pos[:-1]), ("real", "imag")[pos[-1]]
            else:
                where, part = tuple(int(i) for i in pos), None
            return (f"leaf {k} at {where}{' (' + part + ' part)' if part else ''}: "
                    f"dualrev {a[where]!r} vs JAX {e[where]!r} ({int(bad.sum())} of "
                    f"{bad.size} entries differ)\n      dualrev: {_short(a)}"
                    f"\n      JAX:     {_short(e)}")
    return None


def mismatch(pa, pe, M, rtol=RTOL, atol=ATOL):
    na, ne = np.isnan(pa), np.isnan(pe)
    fa, fe = np.isfinite(pa), np.isfinite(pe)
    bad = na != ne
    bad |= np.isinf(pe) & (pa != pe)
    bad |= np.isinf(pa) & (pa != pe)
    both = fa & fe
    diff = np.zeros(pa.shape)
    diff[both] = np.abs(pa[both] - pe[both])
    bad |= both & (diff > rtol * (np.abs(np.where(both, pe, 0)) + M) + atol)
    return bad


def _short(x):
    return np.array2string(np.asarray(x), precision=6, threshold=30, max_line_width=200)


# ============================================================================ known disagreements

# Where dualrev deliberately differs from JAX, at points where a function is
# not differentiable or JAX's rule leaks a nan.  Each entry is checked, not
# just excused: a check that disagrees with JAX is run again with JAX given
# dualrev's convention (``CONVENTIONS``: the function rewritten with
# ``jax.custom_jvp``, its rule the one dualrev documents), and it passes only if
# it then agrees entry for entry, and one of these points was reached.
KNOWN = {
    "power_integral_exponent_at_zero": (
        "d/dx x**y where x == 0 and y is an integral float (an array exponent, or a "
        "Python float such as 2.0): JAX's lax.pow rule is y * x**(y-1) under a select on "
        "y == 0, whose untaken branch 0**-1 = inf sends 0 * inf = nan into the next "
        "order, so every derivative past the exponent (and the first, where y == 0) is "
        "nan.  dualrev's rule takes x = 1 where x and y are both 0 and is finite, and "
        "exact, to every order (README, 'Conventions at non-differentiable points'; "
        "tests/test_corner_cases.py).  Python int exponents (lax.integer_pow) agree."),
    "complex_abs_at_zero_second_order": (
        "|z| at z = 0 (complex): not differentiable; both libraries give 0 as the first "
        "derivative (README, 'Complex numbers').  Beyond it they differ: JAX's rule is "
        "Re(conj(z) dz / replace_zero(|z|)), whose derivative at 0 is conj(dz)/1, a "
        "leftover of the division guard; dualrev's is 0 in the branch taken at 0 (a "
        "where), so its derivatives of every order there are 0.  |z| has no second "
        "derivative at 0 (it is a cone), so neither value is the true one."),
    "tanh_infinite_cotangent_at_zero": (
        "tanh at x = 0 reached by an infinite tangent or cotangent g (an inf input "
        "further on): JAX's rule is written (g + g*ans) * (1 - ans), so g*ans is inf*0 = "
        "nan; dualrev's is g * (1 - ans*ans) = g, the true value (tanh'(0) = 1)."),
}


class _Conventions:
    """jax.numpy with dualrev's conventions where KNOWN lists them: power, abs and
    tanh (``m.power``, ``m.abs``, ``m.absolute``, ``m.tanh``: programs spell these
    through m).
    Evaluated on concrete values (no transformation), it records which KNOWN
    points the program reaches in ``hits``."""

    def __init__(self, enabled=None):
        self.hits = set()
        self.enabled = set(KNOWN) if enabled is None else set(enabled)

    def __getattr__(self, name):
        return getattr(jnp, name)

    @staticmethod
    def _concrete(*xs):
        return not any(isinstance(x, jax.core.Tracer) for x in xs)

    def power(self, x, y):
        if (isinstance(y, int) and not isinstance(y, bool) or
                "power_integral_exponent_at_zero" not in self.enabled):
            return jnp.power(x, y)          # lax.integer_pow: as dualrev already
        if isinstance(x, (int, float)):
            return jnp.power(x, y)          # d/dy: log(x) or 0 at x == 0, as dualrev
        dt = jnp.result_type(x, y)
        x, y = jnp.asarray(x, dt), jnp.asarray(y, dt)
        if self._concrete(x, y):
            yi = (y == jnp.round(y.real)) if dt.kind != "c" else (y.imag == 0) & (
                y.real == jnp.round(y.real))
            if bool(jnp.any((x == 0) & yi)):
                self.hits.add("power_integral_exponent_at_zero")
        return _power_cv(x, y)

    def abs(self, x):
        if jnp.iscomplexobj(x) and "complex_abs_at_zero_second_order" in self.enabled:
            if self._concrete(x) and bool(jnp.any(x == 0)):
                self.hits.add("complex_abs_at_zero_second_order")
            return _abs_cv(x)
        return jnp.abs(x)

    absolute = abs

    def tanh(self, x):
        if "tanh_infinite_cotangent_at_zero" not in self.enabled:
            return jnp.tanh(x)
        if self._concrete(x) and bool(jnp.any(jnp.asarray(x) == 0)):
            self.hits.add("tanh_infinite_cotangent_at_zero")
        return _tanh_cv(x)


@jax.custom_jvp
def _tanh_cv(x):
    return jnp.tanh(x)


@_tanh_cv.defjvp
def _tanh_cv_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    ans = _tanh_cv(x)
    return ans, t * (1 - ans * ans)


@jax.custom_jvp
def _power_cv(x, y):
    return jnp.power(x, y)


def _power_cv_jvp(primals, tangents):
    # Symbolic zeros: a constant operand adds no term (as in JAX's own rule), so
    # log(x) of a negative constant base, or 0**-1 of a constant zero base, stays out.
    x, y = primals
    tx, ty = tangents
    ans = _power_cv(x, y)
    out = jnp.zeros_like(ans)
    if not isinstance(tx, SymbolicZero):
        out = out + tx * (y * _power_cv(jnp.where((y == 0) & (x == 0), jnp.ones_like(x), x),
                                        y - 1))
    if not isinstance(ty, SymbolicZero):
        out = out + ty * (ans * jnp.log(jnp.where(x == 0, jnp.ones_like(x), x)))
    return ans, out


_power_cv.defjvp(_power_cv_jvp, symbolic_zeros=True)


@jax.custom_jvp
def _abs_cv(z):
    return jnp.abs(z)


@_abs_cv.defjvp
def _abs_cv_jvp(primals, tangents):
    (z,), (dz,) = primals, tangents
    ans = _abs_cv(z)
    zero = ans == 0
    unit = jnp.where(zero, 0, jnp.conj(z) / jnp.where(zero, 1, ans))
    return ans, jnp.real(unit * dz)


def known_disagreement(prog, dirs, check, ours, atol=ATOL):
    """The KNOWN entries that explain a disagreement, or None: JAX with dualrev's
    conventions must agree with dualrev, and the program must reach such a point.
    The entries named are those whose convention alone makes JAX agree, or all the
    points reached when it takes more than one."""
    def agrees(enabled):
        conv = _Conventions(enabled)
        lib = _Lib("jax+conventions", jax, conv, JAX.set_item, JAX.sigmoid, jnp.zeros)
        with jax.disable_jit(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                prog.fns()[1](conv, lib, *map(jnp.asarray, prog.inputs))   # f, and so F
            except Exception:  # noqa: BLE001
                return None
            if not conv.hits:
                return None
            hits = set(conv.hits)
            e = run_checks(lib, prog, dirs, only=check)[check]
        if isinstance(e, Exception) or compare(ours, e, atol=atol) is not None:
            return None
        return hits

    hits = agrees(None)
    if not hits:
        return None
    if len(hits) > 1:
        for name in sorted(hits):
            if agrees({name}):
                return [name]
    return sorted(hits)


# ============================================================================ rounding

def _fingerprint(args):
    """Where a line's operands sit at a point some op treats specially: zeros, the
    thresholds the generator compares with, entries equal to the array's max or
    min, and ties between operands (also of real parts, as complex values are
    ordered by them first)."""
    out = []
    arrs = [np.asarray(a) for a in args]
    for x in arrs:
        r = x.real
        out += [x == 0, r == 0, r == 0.5, r == -0.5]
        if r.size:
            finite = r[np.isfinite(r)]
            if finite.size:
                out += [r == finite.max(), r == finite.min()]
    for i, a in enumerate(arrs):
        for b in arrs[i + 1:]:
            if _bcast(a.shape, b.shape) is not None:
                out += [a == b, a.real == b.real, a == -b]
    return out


def _identical(a, b):
    """Bit for bit, as far as any op can tell: the same values, nans and signs of 0."""
    return (a.shape == b.shape and np.array_equal(a, b, equal_nan=True) and
            np.array_equal(np.signbit(a.real), np.signbit(b.real)) and
            np.array_equal(np.signbit(np.imag(a)), np.signbit(np.imag(b))))


# What in a line's source treats some point specially (a kink, a tie, a jump, a
# pole or a branch point at 0).
_SPECIAL_POINTS = ("abs(", "maximum(", "minimum(", "max(", "min(", "where(", "remainder(",
                   "mod(", "%", "angle(", "sqrt(", "log(", "power(", "**", "/")


def rounding_divergence(prog):
    """Why the program's primal values may legitimately take different branches in
    the two libraries, or None.

    The two libraries round some operations differently (XLA's transcendental
    functions and complex power, sums in another order); a value that is exactly
    0, or tied, in one can then be 1e-17 off in the other.  Where such a value
    meets an op that treats that point specially (abs, maximum, max, where,
    remainder, sqrt at 0 ...), the libraries legitimately take different branches
    and no derivative can be compared.  Evaluated line by line in both (JAX op by
    op): if every line's values agree within tolerance up to a line whose
    operands do not agree bit for bit and whose special points (``_fingerprint``)
    or values differ, that line is the answer.  A line that gets the same
    operands bit for bit and gives a different value is a real difference: None.
    """
    env_n = {"np": np, "m": dnp, "L": DUALREV}
    env_j = {"np": np, "m": jnp, "L": JAX}
    for n, x in zip(prog.names, prog.inputs):
        env_n[n], env_j[n] = x, jnp.asarray(x)
    with np.errstate(all="ignore"), warnings.catch_warnings(), jax.disable_jit():
        warnings.simplefilter("ignore")
        try:
            final = Op("reduction", prog.reduction_src(of="{0}"), (prog.out,), "f")
            for k, op in enumerate(prog.ops + [final], 1):
                args_n = [np.asarray(env_n[a]) for a in op.args]
                args_j = [np.asarray(env_j[a]) for a in op.args]
                same_args = all(_identical(a, b) for a, b in zip(args_n, args_j))
                out_n = np.asarray(eval(op.expr(), env_n))
                out_j = eval(op.expr(), env_j)
                env_n[op.out], env_j[op.out] = out_n, out_j
                differ = compare(out_n, np.asarray(out_j)) is not None
                if same_args or not any(t in op.template for t in _SPECIAL_POINTS):
                    if differ:
                        return None     # a value that is wrong, not rounded
                    continue
                moved = any(not np.array_equal(a, b) for a, b in
                            zip(_fingerprint(args_n), _fingerprint(args_j)))
                if moved or differ:
                    return (f"op {k} ({op.spec}: {op.expr()}) meets a special point that "
                            f"rounding moved: its operands agree only within rounding")
        except Exception:  # noqa: BLE001
            return None
    return None


# ============================================================================ running

@dataclass
class Failure:
    seed: int
    check: str
    message: str
    program: str
    command: str = ""
    blame: str = "?"            # the spec of the op found guilty
    prims: tuple = ()           # primitives that op's line binds
    minimal: str = ""           # the shortest failing prefix, as source
    isolated: str = ""          # the op alone, with its operand values

    def report(self):
        out = [f"FAIL {self.check} [{self.blame}; binds {', '.join(self.prims) or '?'}] "
               f"seed {self.seed}", f"  {self.message}", self.program]
        if self.minimal:
            out += ["# shortest failing prefix:", self.minimal]
        if self.isolated:
            out += ["# the failing ops alone, on their operands' values:", self.isolated]
        command = self.command or f"python -m tests.fuzz --seed {self.seed} --programs 1"
        out.append(f"# reproduce: {command}")
        return "\n".join(out)


def check_one(prog, only=None, first=False):
    """Run prog's checks in both libraries; (number of checks compared,
    [(check, message)]).  Problems are named ``check`` (a failure),
    ``known:check`` (a KNOWN disagreement, the message naming it),
    ``rounding:check`` (the libraries' primal values take different branches
    at a special point, see ``rounding_divergence``: the program is set aside)
    or ``oracle:check`` (JAX raised: a program outside JAX's domain, a generator
    problem).  first: stop at the first failure."""
    try:
        out = prog.out_value()
    except Exception as e:  # noqa: BLE001
        return 0, [("value", f"untraced evaluation raised {type(e).__name__}: {e}")]
    dirs = Directions(prog, out)
    ours = run_checks(DUALREV, prog, dirs, only)
    theirs = jax_checks(prog, dirs, only)
    problems = []
    n = 0
    for name in CHECKS[prog.kind]:
        if name not in theirs:
            continue
        e, a = theirs[name], ours.get(name)
        if isinstance(e, Exception):
            also = "; dualrev raised too" if isinstance(a, Exception) else ""
            problems.append(("oracle:" + name, f"JAX raised {type(e).__name__}: {e}{also}"))
            continue
        n += 1
        if isinstance(a, Exception):
            tb = "".join(traceback.format_exception(type(a), a, a.__traceback__)[-3:])
            problems.append((name, f"dualrev raised {type(a).__name__}: {a}\n{tb}"))
        else:
            msg = compare(a, e)
            if msg is not None:
                e = eager_check(prog, dirs, name)
                if isinstance(e, Exception):
                    problems.append(("oracle:" + name, f"JAX op by op raised "
                                     f"{type(e).__name__}: {e}"))
                    continue
                msg = compare(a, e)
            if msg is None:
                continue
            atol = max(ATOL, TERMS * term_scale(prog, dirs, name))
            if compare(a, e, atol=atol) is None:
                continue        # a sum that cancels: rounding of its terms
            known = known_disagreement(prog, dirs, name, a, atol)
            if known:
                problems.append(("known:" + name, ", ".join(known)))
                continue
            why = rounding_divergence(prog)
            if why:
                problems.append(("rounding:" + name, why))
                break           # the program's branches differ: nothing more to compare
            problems.append((name, msg))
        if first:
            break
    return n, problems


def term_scale(prog, dirs, check):
    """The largest finite magnitude any primitive produced while dualrev computed
    the check: the size of the terms whose rounding its result carries (a result
    that cancels to about 0, as d^3/dx^3 of (v/v)**2 with v small, is left with
    rounding errors of about 1e-16 times its largest terms, whatever its own size)."""
    big = [0.0]
    saved = {}
    for name, p in registry.items():
        saved[name] = p.impl

        def spy(*a, _impl=p.impl, **kw):
            out = _impl(*a, **kw)
            v = np.abs(np.asarray(out))
            v = v[np.isfinite(v)]
            if v.size:
                big[0] = max(big[0], float(v.max()))
            return out
        p.impl = spy
    try:
        run_checks(DUALREV, prog, dirs, only=check)
    finally:
        for name, p in registry.items():
            p.impl = saved[name]
    return big[0]


def prims_of_ops(prog):
    """The registered primitives the program's ops bind when differentiated."""
    seen = set()
    saved = {}
    for name, p in registry.items():
        saved[name] = p.impl

        def spy(*a, _impl=p.impl, _name=name, **kw):
            seen.add(_name)
            return _impl(*a, **kw)
        p.impl = spy
    try:
        F = prog.fns()[0]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dualrev.vjp(lambda *a: F(dnp, DUALREV, *a), *prog.inputs)
    except Exception:  # noqa: BLE001
        pass
    finally:
        for name, p in registry.items():
            p.impl = saved[name]
    return tuple(sorted(seen))


def shrink(prog, check):
    """(op number, prefix program) of the shortest prefix that fails the check."""
    base = check.split(":")[-1]
    for k in range(1, len(prog.ops) + 1):
        pre = prog.prefix(k)
        _, probs = check_one(pre, only=base)
        if any(c == check for c, _ in probs):
            return k, pre
    return None, None


def examine(prog, check, message, do_shrink=True):
    """A Failure for prog's failing check: the shortest failing prefix, then the
    shortest run of its last ops that fails on its own, on its operands' values.
    The blame goes to the primitive the last op was drawn for, or, when it fails
    only together with earlier ops, to all of them."""
    f = Failure(prog.seed, check, message, prog.describe(), prog.command())
    if not do_shrink or not prog.ops:
        return f
    k, pre = shrink(prog, check)
    if k is None:
        f.blame = "(no prefix fails alone)"
        return f
    f.minimal = pre.describe()
    base = check.split(":")[-1]
    for j in range(k, 0, -1):
        iso = prog.isolated(k, j)
        if j < k and len(iso.ops) == len(prog.isolated(k, j + 1).ops):
            continue            # op j is not one op k needs
        _, probs = check_one(iso, only=base)
        if any(c == check or c == base for c, _ in probs):
            f.blame = "+".join(dict.fromkeys(op.spec for op in iso.ops[::-1]))
            f.prims = prims_of_ops(iso)
            f.isolated = iso.describe(values=True) + "\n#   " + "\n#   ".join(
                f"{c}: {m.splitlines()[0]}" for c, m in probs)
            return f
    f.blame = "+".join(dict.fromkeys(op.spec for op in pre.ops[::-1]))
    f.prims = prims_of_ops(pre)
    return f


@dataclass
class Stats:
    programs: int = 0
    checks: int = 0
    failures: list = field(default_factory=list)
    ops: Counter = field(default_factory=Counter)
    kinds: Counter = field(default_factory=Counter)
    oracle_errors: Counter = field(default_factory=Counter)
    known: Counter = field(default_factory=Counter)
    rounding: list = field(default_factory=list)
    seconds: float = 0.0
    interrupted: bool = False

    def merge(self, other):
        self.programs += other.programs
        self.checks += other.checks
        self.failures += other.failures
        self.ops.update(other.ops)
        self.kinds.update(other.kinds)
        self.oracle_errors.update(other.oracle_errors)
        self.known.update(other.known)
        self.rounding += other.rounding
        self.interrupted |= other.interrupted


def campaign(seed, programs, n_ops=(3, 10), stop_after=None, do_shrink=True, verbose=False,
             kind=None, special=None, focus=None, skip=(), deadline=None):
    """Run programs with seeds seed, seed+1, ...; returns Stats.  stop_after: stop
    after that many failures; do_shrink: find the shortest failing ops (slower);
    deadline: a time.time() to stop at.  Interrupted (Ctrl-C, SIGTERM), it returns
    what it has."""
    stats = Stats()
    t0 = time.perf_counter()
    try:
        for s in range(seed, seed + programs):
            if deadline is not None and time.time() > deadline:
                break
            _one(stats, s, n_ops, do_shrink, verbose, kind, special, focus, skip)
            if stop_after is not None and len(stats.failures) >= stop_after:
                break
    except KeyboardInterrupt:
        stats.interrupted = True
    stats.seconds = time.perf_counter() - t0
    return stats


def _one(stats, s, n_ops, do_shrink, verbose, kind, special, focus, skip):
    try:
        prog = generate(s, n_ops, kind, special, focus, skip)
    except Exception as e:  # noqa: BLE001
        stats.failures.append(Failure(s, "generate", f"{type(e).__name__}: {e}",
                                      traceback.format_exc()))
        if verbose:
            print(stats.failures[-1].report(), flush=True)
        return
    n, probs = check_one(prog, first=True)
    stats.programs += 1
    stats.kinds[prog.kind] += 1
    stats.ops.update(op.spec for op in prog.ops)
    stats.checks += n
    for check, msg in probs:
        if check.startswith("known:"):
            stats.known[msg] += 1
            continue
        if check.startswith("rounding:"):
            stats.rounding.append(s)
            if verbose:
                print(f"# seed {s} set aside ({check}): {msg}", flush=True)
            continue
        if check.startswith("oracle:"):
            stats.oracle_errors[check] += 1
            if verbose:
                print(f"# oracle error, seed {s}: {msg}\n{prog.describe()}", flush=True)
            continue
        fail = examine(prog, check, msg, do_shrink)
        stats.failures.append(fail)
        if verbose:
            print(fail.report(), flush=True)
        break           # one failure per program: the rest usually follow from it


def _worker(a):
    seed, programs, kw = a
    return campaign(seed, programs, **kw)


def summary(stats, wall):
    lines = [f"programs: {stats.programs}   checks: {stats.checks}   "
             f"failures: {len(stats.failures)}   time: {wall:.1f} s" +
             ("   (interrupted)" if stats.interrupted else ""),
             "kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.kinds.items())),
             "ops drawn per primitive: " + ", ".join(f"{k} {v}"
                                                     for k, v in sorted(stats.ops.items()))]
    missing = sorted(set(SPECS) - set(stats.ops))
    if missing:
        lines.append(f"primitives never drawn: {missing}")
    if stats.known:
        lines.append("known disagreements (checked against JAX with dualrev's conventions): " +
                     ", ".join(f"{k} {v}" for k, v in stats.known.items()))
    if stats.rounding:
        lines.append(f"set aside, rounding moved a special point: {len(stats.rounding)}   "
                     f"seeds {sorted(stats.rounding)[:10]}")
    if stats.oracle_errors:
        lines.append("JAX raised (program skipped for that check): " +
                     ", ".join(f"{k} {v}" for k, v in stats.oracle_errors.items()))
    if stats.failures:
        groups = Counter((f.blame, f.check) for f in stats.failures)
        lines.append("failures by primitive and check:")
        for (blame, check), n in sorted(groups.items(), key=lambda kv: -kv[1]):
            seeds = [f.seed for f in stats.failures if (f.blame, f.check) == (blame, check)]
            lines.append(f"  {blame:12s} {check:14s} {n:5d}   seeds {seeds[:8]}")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n")[0])
    p.add_argument("--seed", type=int, default=0, help="the first program's seed")
    p.add_argument("--programs", type=int, default=200)
    p.add_argument("--jobs", type=int, default=1, help="worker processes")
    p.add_argument("--minutes", type=float, help="stop after this long (then summarise)")
    p.add_argument("--ops", default="3-10", help="range of op counts, e.g. 3-10")
    p.add_argument("--kind", choices=["real", "complex", "holo"], help="only this kind")
    p.add_argument("--special", choices=["smooth", "ties", "zeros", "nonsmooth", "infnan"],
                   help="only this kind of inputs")
    p.add_argument("--focus", help="draw this primitive more often")
    p.add_argument("--skip", default="", help="primitives not to draw, comma-separated")
    p.add_argument("--no-shrink", action="store_true", help="report failures unshrunk")
    p.add_argument("--show", action="store_true", help="print every program first")
    p.add_argument("--quiet", action="store_true", help="only the summary")
    args = p.parse_args(argv)
    lo, _, hi = args.ops.partition("-")
    kw = dict(n_ops=(int(lo), int(hi or lo)), kind=args.kind, special=args.special,
              focus=args.focus, skip=tuple(filter(None, args.skip.split(","))),
              do_shrink=not args.no_shrink, verbose=not args.quiet,
              deadline=time.time() + 60 * args.minutes if args.minutes else None)
    # SIGTERM (a timeout) ends the campaign as Ctrl-C does: with its summary.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    t0 = time.perf_counter()
    if args.show:
        for s in range(args.seed, args.seed + args.programs):
            print(generate(s, kw["n_ops"], args.kind, args.special, args.focus,
                           kw["skip"]).describe(values=True), "\n")
    if args.jobs <= 1:
        stats = campaign(args.seed, args.programs, **kw)
    else:
        import multiprocessing as mp
        chunk = max(1, -(-args.programs // (args.jobs * 8)))
        work = [(s, min(chunk, args.seed + args.programs - s), kw)
                for s in range(args.seed, args.seed + args.programs, chunk)]
        stats = Stats()
        with mp.get_context("spawn").Pool(args.jobs) as pool:
            try:
                for st in pool.imap_unordered(_worker, work):
                    stats.merge(st)
            except KeyboardInterrupt:
                stats.interrupted = True
    print(summary(stats, time.perf_counter() - t0))
    return 1 if stats.failures else 0


if __name__ == "__main__":
    sys.exit(main())
