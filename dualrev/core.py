"""Primitives, traces (tags), dispatch and the traced-value base class.

Every transformation call opens a *trace* with a fresh, strictly increasing
level.  A primitive applied to arguments is handled by the trace with the
highest level among its traced arguments; values of other traces are plain
constants there and are handled by their own trace when the primitive is
re-bound on the primal values.  This is what makes perturbation confusion
impossible.
"""
import dis
import itertools
import operator
import threading
import weakref

import numpy as np

from .backend import NUMPY_TYPES, _leaf, apply, dtype as dtype_of, is_foreign

_levels = itertools.count(1)
_NOPARAMS = {}
_open_traces = [0]   # traces opened and not yet closed
_open = {}           # level -> weak reference, for each open trace
# Guards the two above: threads open and close traces concurrently, and a lost
# update of the count would let a nested trace skip dispatch.  Reentrant: a
# trace's __del__ (close) can run in a garbage collection inside the guarded code.
_trace_lock = threading.RLock()
# Whether NaN hunting (debug_nans, anomaly detection) is on: traces made now are watched.
_watching = [False]
# A traced value combined with one of these keeps its shape and dtype (NumPy's weak scalars).
PY_SCALARS = (float, int)


class EscapedTracerError(RuntimeError):
    """A traced value was used after the transformation that made it returned."""


class Trace:
    """One tag: a forward (dual) or reverse (tape) transformation in progress.

    ``dispatching`` says whether the primal computations go through ``bind``:
    when another trace was open as this one began (a value of an outer trace
    may reach this one alive), or once another library's array entered it
    (``admit``).  If not, the primal computation calls the NumPy
    implementation directly: the fast path.  ``foreign`` says whether another
    library's array entered it: its rules then see their arguments ``lifted``.
    """

    __slots__ = ("level", "alive", "name", "dispatching", "foreign", "__weakref__")

    def __init__(self, name):
        self.level = next(_levels)
        self.alive = True
        self.name = name
        with _trace_lock:
            self.dispatching = _open_traces[0] > 0
            self.foreign = False
            _open_traces[0] += 1
            _open[self.level] = weakref.ref(self)
        if _watching[0]:
            from .debug import watch
            watch(self)

    # process1/process2 are the fast paths for one and two arguments without params;
    # a trace that has none handles them as any other call.
    def process1(self, prim, a):
        return self.process(prim, (a,), _NOPARAMS)

    def process2(self, prim, a, b):
        return self.process(prim, (a, b), _NOPARAMS)

    def admit(self, value):
        """Note a value entering this trace untraced or as an input: another
        library's array sends the primal computations through ``bind`` (its
        namespace) from now on."""
        if value.__class__ not in NUMPY_TYPES and is_foreign(_leaf(value)):
            self.dispatching = self.foreign = True

    def constant(self, value):
        """value (untraced) as a value of this trace that carries no derivative."""
        raise NotImplementedError(f"a {self.name} trace cannot hold constants")

    def process_custom(self, call, args):
        """A function with its own rules (``custom.CustomCall``) applied to args, some
        of this trace: the list of its output leaves.  A trace without a rule of its own
        for such calls sees the function's operations one by one."""
        return call.fun(*args)

    def close(self):
        if self.alive:
            with _trace_lock:
                if self.alive:
                    self.alive = False
                    _open_traces[0] -= 1
                    _open.pop(self.level, None)

    # A trace nothing refers to any more has no values left anywhere: a
    # hand-made dual tag is closed this way once its last Dual is gone.
    __del__ = close

    def escaped(self, prim):
        return EscapedTracerError(
            f"a traced value of a finished {self.name} transformation (level "
            f"{self.level}) was passed to '{prim.name}': a value made inside "
            f"{self.name} was kept (e.g. in a closure or a global) and used after "
            f"{self.name} returned; its derivative would be wrong. Return it from "
            f"the function instead, or take dualrev.stop_gradient of it first.")


def open_level_zero():
    """Count a trace opened at level 0 (an imperative graph).  Open traces of
    transformations dispatch their primal computations from now on: a value of
    this lower level may reach them."""
    with _trace_lock:
        _open_traces[0] += 1
        for ref in list(_open.values()):
            t = ref()
            if t is not None:
                t.dispatching = True


class Tracer:
    """A value being traced by one transformation.  Subclasses: Dual, Var (which
    carry a derivative) and Batched (a batch of values, for vmap)."""

    __slots__ = ()
    __array_priority__ = 1000
    # A derivative-carrying tracer is dropped by strip; a batched value is kept.
    _is_value = False

    @property
    def shape(self):
        return np.shape(self.primal)

    @property
    def ndim(self):
        return np.ndim(self.primal)

    @property
    def size(self):
        return int(np.size(self.primal))

    @property
    def dtype(self):
        return dtype_of(self.primal)

    def __len__(self):
        s = self.shape
        if not s:
            raise TypeError("len() of a 0-d traced array")
        return s[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        return bool(strip(self))

    def _no_concrete(self, kind):
        raise TypeError(
            f"{kind}() of a traced value would drop its derivative; use "
            f"dualrev.stop_gradient(x) first if that is what you mean")

    def __float__(self):
        self._no_concrete("float")

    def __int__(self):
        self._no_concrete("int")

    def __complex__(self):
        self._no_concrete("complex")

    def __index__(self):
        self._no_concrete("index")

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "a traced value cannot be converted to a NumPy array (np.asarray, np.array, "
            "or a NumPy function such as np.mean given it or a list holding it): that "
            "would drop its derivative. Use dualrev.numpy instead: dnp.array([...]) builds "
            "one traced array from a list holding traced values, and dnp.mean([...]), "
            "dnp.sum([...]) ... take such lists directly; or dualrev.stop_gradient(x) to "
            "take the value")

    def __setitem__(self, idx, value):
        raise TypeError(
            "traced arrays are immutable: build the result with "
            "dualrev.numpy.where or concatenate instead of assigning into it")

    __hash__ = object.__hash__


def strip(x):
    """x with every trace's derivative dropped: its innermost primal value.

    Under vmap the batch is part of the value, not a derivative: a batched
    value is kept (with the derivatives inside it dropped), and what is
    computed from it with NumPy's functions stays batched.
    """
    while isinstance(x, Tracer):
        if x._is_value:
            return x._stripped()
        x = x.primal
    return x


def lifted(values):
    """values for a rule, with each array of another library made a constant of the
    newest trace among the traced ones.

    Rules compute with Python's operators.  NumPy's, CuPy's and Dask's arrays defer
    an operator to a traced right operand (its ``__array_priority__``); a library
    held to the array API standard alone may refuse it instead.  Lifted, such an
    array is a traced value too, and the operator is the trace's.  Only traces that
    another library's array entered (``Trace.foreign``) pay for this."""
    top = None
    foreign = False
    for v in values:
        if isinstance(v, Tracer):
            if top is None or v._trace.level > top.level:
                top = v._trace
        elif v.__class__ not in NUMPY_TYPES and is_foreign(v):
            foreign = True
    if top is None or not foreign:
        return values
    return [top.constant(v) if not isinstance(v, Tracer) and v.__class__ not in NUMPY_TYPES
            and is_foreign(v) else v for v in values]


def bind(prim, args, params=_NOPARAMS):
    """Apply prim to args: the newest trace among the args handles it."""
    top = None
    for a in args:
        if isinstance(a, Tracer):
            t = a._trace
            if top is None or t.level > top.level:
                top = t
    if top is None:
        return apply(prim, args, params)
    if not params:
        if len(args) == 1:
            return top.process1(prim, args[0])
        if len(args) == 2:
            return top.process2(prim, args[0], args[1])
    return top.process(prim, args, params)


def bind_custom(call, args):
    """Apply a function with its own rules (``custom.CustomCall``) to the flat list
    args: the newest trace among them handles it (``Trace.process_custom``); with
    none, the function runs.  Returns the list of its output leaves."""
    top = None
    for a in args:
        if isinstance(a, Tracer):
            t = a._trace
            if top is None or t.level > top.level:
                top = t
    if top is None:
        return call.fun(*args)
    return top.process_custom(call, args)


def _reads(fn, names):
    """Which of `names` the rule fn reads (by its bytecode).  None = all."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return None
    used = set(code.co_cellvars)
    for ins in dis.get_instructions(code):
        if ins.opname.startswith(("LOAD_FAST", "LOAD_DEREF", "LOAD_CLOSURE",
                                  "STORE_FAST_LOAD_FAST")):
            v = ins.argval
            used.update(v if isinstance(v, tuple) else (v,))
    return [n in used for n in names]


class MissingRule:
    """Stands in for a rule a primitive was declared without: calling it (when
    a transformation needs that rule) raises an error that names the primitive,
    the kind of rule and the argument."""

    __slots__ = ("prim", "kind", "argnum")

    def __init__(self, prim, kind, argnum):
        self.prim, self.kind, self.argnum = prim, kind, argnum

    def __repr__(self):
        return f"<missing {self.kind} rule of {self.prim.name}, argument {self.argnum}>"

    def __call__(self, *args, **params):
        mode = ("forward mode (jvp, jacfwd)" if self.kind == "JVP"
                else "reverse mode (vjp, grad, jacrev, backward)")
        raise NotImplementedError(
            f"primitive '{self.prim.name}' has no {self.kind} rule for argument "
            f"{self.argnum}, so it cannot be differentiated in {mode} with respect to "
            f"that argument; declare its {self.kind.lower()}= with a rule at position "
            f"{self.argnum}, or pass that argument through dualrev.stop_gradient")


def broadcasting(prim):
    """The batching rule of an elementwise primitive whose arguments broadcast:
    each batched argument (batch axis first) gets length-1 axes after its batch
    axis up to the largest per-example rank, so that NumPy's broadcasting lines
    the per-example axes up; then the primitive runs once on the whole batch."""
    def rule(batched, *args, **params):
        return broadcast_batch(prim, batched, args, params)
    rule.__qualname__ = f"broadcasting({prim.name})"
    return rule


def broadcast_batch(prim, batched, args, params=_NOPARAMS):
    """The body of ``broadcasting(prim)``'s rule."""
    return bind(prim, aligned_batch(args, batched) if len(args) > 1 else args, params)


def aligned_batch(args, batched):
    """args (the batched ones with their batch axis first) with length-1 axes after
    each batched one's batch axis up to the largest per-example rank, so that NumPy's
    broadcasting lines the per-example axes up."""
    ranks = [np.ndim(a) - b for a, b in zip(args, batched)]
    top = max(ranks)
    if any(b and r < top for b, r in zip(batched, ranks)):
        from .numpy._shape import lift_batch
        args = [lift_batch(a, top - r) if b and r < top else a
                for a, b, r in zip(args, batched, ranks)]
    return args


class MissingBatchRule:
    """Stands in for the batching rule of a primitive declared without one."""

    __slots__ = ("prim",)

    def __init__(self, prim):
        self.prim = prim

    def __repr__(self):
        return f"<missing batching rule of {self.prim.name}>"

    def __call__(self, batched, *args, **params):
        raise NotImplementedError(
            f"primitive '{self.prim.name}' has no batching rule, so it cannot run under "
            f"vmap (nor under jacfwd, jacrev or hessian, which batch their directions); "
            f"declare its batch= rule")


class Primitive:
    """One operation: its implementation, JVP rules, VJP rules and batching rule.

    ``jvp`` and ``vjp`` are tuples with one rule per positional argument
    (``None`` for an argument that is never differentiated), or a single
    callable ``rule(argnum)`` returning that rule, for variadic primitives.
    A missing rule (``None`` in place of a tuple, of one of its entries, or
    from ``rule(argnum)``) raises a ``NotImplementedError`` naming it when a
    transformation calls it.
    JVP rules are called ``rule(x_dot, ans, *args, **params)`` and VJP rules
    ``rule(g, ans, *args, **params)``; both are written with dualrev.numpy so
    that an outer transformation records them.

    ``xp(xp, *args, **params)`` computes on arrays of other libraries than
    NumPy with their array-API namespace ``xp`` (``backend.apply`` picks it);
    Python's operators and NumPy's ufuncs get theirs by default.

    The batching rule (for vmap) is called ``batch(batched, *args, **params)``:
    ``batched[i]`` says whether ``args[i]`` carries a batch axis, always its
    first; it returns the batched output, batch axis first, computed once for
    the whole batch (with dualrev.numpy or ``bind``, so that outer
    transformations record it).  ``batch=broadcasting`` is the generic rule of
    elementwise primitives, and the default of those declared ``elementwise``.

    What a VJP rule reads (``ans`` and which arguments) is found once from
    its code: the tape keeps only those residuals.  ``elementwise`` declares
    that a one-argument call keeps its argument's shape and dtype.
    Primitives are listed in ``registry`` unless ``register=False``.

        >>> sin_p = Primitive("sin", np.sin,
        ...     jvp=(lambda x_dot, ans, x: x_dot * cos(x),),
        ...     vjp=(lambda g, ans, x: g * cos(x),))
    """

    def __init__(self, name, impl, jvp, vjp, *, batch=None, xp=None, elementwise=False,
                 register=True):
        self.name = name
        self.impl = impl
        self.xp_impl = xp or _xp_impl(self, impl)
        self.elementwise = elementwise
        if batch is None and elementwise:
            batch = broadcasting
        self.batch = (batch(self) if batch is broadcasting else
                      batch if batch is not None else MissingBatchRule(self))
        self._jvp = jvp
        self._vjp = vjp
        self.jvp_rules = self._filled("JVP", jvp) if isinstance(jvp, tuple) else None   # fixed arity
        self.vjp_rules = self._filled("VJP", vjp) if isinstance(vjp, tuple) else None
        self._rules = {}
        self._saves = {}
        if register:
            registry[name] = self

    def __repr__(self):
        return f"<primitive {self.name}>"

    def jvps(self, nargs):
        """The JVP rules for a call with nargs positional arguments."""
        return self.jvp_rules or self._expand("jvp", self._jvp, nargs)

    def vjps(self, nargs):
        """The VJP rules for a call with nargs positional arguments."""
        return self.vjp_rules or self._expand("vjp", self._vjp, nargs)

    def _expand(self, kind, factory, nargs):
        rules = self._rules.get((kind, nargs))
        if rules is None:
            rules = tuple(factory(i) for i in range(nargs)) if factory else (None,) * nargs
            rules = self._rules[kind, nargs] = self._filled(kind.upper(), rules)
        return rules

    def _filled(self, kind, rules):
        """The rules with a MissingRule in place of each None."""
        return tuple(MissingRule(self, kind, i) if r is None else r for i, r in enumerate(rules))

    def saves(self, mask, nargs):
        """What the tape keeps when the args in bit-mask ``mask`` are traced.

        Returns ``(keep_ans, keep_args)`` with keep_args True (all), None
        (none) or a tuple of booleans, from what those VJP rules read.
        """
        key = mask if self.vjp_rules is not None else (mask, nargs)
        s = self._saves.get(key)
        if s is None:
            keep_ans, keep = False, [False] * nargs
            rules = self.vjps(nargs)
            for i in range(nargs):
                if not mask >> i & 1:
                    continue
                code = getattr(rules[i], "__code__", None)
                reads = None
                if code is not None and not code.co_flags & 0x04:   # no *args
                    reads = _reads(rules[i], code.co_varnames[1:code.co_argcount])
                elif code is not None and code.co_argcount == 2:    # (g, ans, *args)
                    star = code.co_varnames[code.co_argcount + code.co_kwonlyargcount]
                    ans_read, args_read = _reads(rules[i], (code.co_varnames[1], star))
                    reads = [ans_read] + [args_read] * nargs
                if reads is None:
                    keep_ans, keep = True, [True] * nargs
                    break
                reads = (reads + [False] * (nargs + 1))[:nargs + 1]
                keep_ans |= reads[0]
                keep = [k or r for k, r in zip(keep, reads[1:])]
            keep_args = True if all(keep) else None if not any(keep) else tuple(keep)
            s = self._saves[key] = (keep_ans, keep_args)
        return s


registry = {}


class Composite:
    """A differentiable function defined as a composition of primitives.

    Untraced calls run ``impl`` (NumPy's own function: one check, then NumPy);
    traced calls, and calls on other libraries' arrays, run ``definition``,
    written with dualrev.numpy, so that every transformation sees (and
    differentiates, batches, runs in the inputs' library) the primitives it is
    made of.  Listed in ``registry`` beside the primitives: the registry is the
    list of dualrev's differentiable functions.

        >>> log2 = Composite("log2", np.log2, lambda x: log(x) / math.log(2))
    """

    def __init__(self, name, impl, definition, *, register=True):
        self.name = name
        self.impl = impl
        self.definition = definition
        if register:
            registry[name] = self

    def __repr__(self):
        return f"<composite {self.name}>"

# Implementations that work on every library's arrays: Python's operators.
_OPERATORS = {operator.add, operator.sub, operator.mul, operator.truediv, operator.pow,
              operator.neg, operator.matmul}
# NumPy's ufuncs whose array-API name differs.
_XP_NAMES = {"absolute": "abs", "conjugate": "conj", "power": "pow", "arctan2": "atan2",
             "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
             "arccosh": "acosh", "arctanh": "atanh"}


def _xp_impl(prim, impl):
    """The default implementation of prim on another library's arrays (namespace xp):
    the same operator, or the array-API function of the NumPy ufunc's name."""
    if impl in _OPERATORS:
        return lambda xp, *args: impl(*args)
    if isinstance(impl, np.ufunc):
        name = _XP_NAMES.get(impl.__name__, impl.__name__)
        return lambda xp, *args: getattr(xp, name)(*args)

    def missing(xp, *args, **params):
        raise NotImplementedError(
            f"primitive '{prim.name}' has no implementation for arrays of libraries other "
            f"than NumPy (here {xp.__name__}); declare its xp= implementation")
    return missing
