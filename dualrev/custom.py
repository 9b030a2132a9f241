"""Functions with their own derivative rules: ``custom_jvp`` and ``custom_vjp``.

A call of such a function is one ``CustomCall``: a flat function of array
leaves with its rules, applied with ``core.bind_custom``.  The newest trace
among its arguments handles it (``Trace.process_custom``):

- forward mode (``DualTrace``) takes the call's JVP: the rule of a custom_jvp
  function, and for a custom_vjp function the transpose of its ``bwd``
  (``bwd`` is linear in its cotangent, so the VJP of ``ct -> bwd(res, ct)``
  maps input tangents to output tangents);
- reverse mode (``Tape``) records one node whose pullback is the call's: the
  ``bwd`` of a custom_vjp function, and for a custom_jvp function the
  transpose of its rule, recorded once on a tape of its own while the rule
  computes the outputs;
- vmap (``BatchTrace``) applies the call made on whole batches (function and
  rules under vmap) to the batched values, so the rules still apply to the
  transformations outside it.

Rules written with ``dualrev.numpy`` are differentiated like any other code:
that gives derivatives of every order.
"""
import functools
import inspect

import numpy as np

from . import backend
from .backend import NUMPY_TYPES
from .core import Tracer, bind_custom, strip
from .reverse import Tape, Var
from .tree import LEAF, tree_flatten, tree_unflatten


def _zeros_like(x):
    c = x.__class__
    if c is np.ndarray:
        return np.zeros(x.shape, x.dtype)
    if c is float or c is complex:
        return c(0)
    return backend.zeros(np.shape(x), backend.dtype(strip(x)), strip(x))


def _flat(x):
    """tree_flatten, with a leaf (the common output) and a tuple of leaves (the common
    arguments) taken without walking them."""
    c = x.__class__
    if c is tuple:
        for v in x:
            if v.__class__ in _NODES or v is None or isinstance(v, tuple):
                return tree_flatten(x)
        return list(x), _flat_tuple(len(x))
    if c in _NODES or x is None or isinstance(x, tuple):
        return tree_flatten(x)
    return [x], LEAF


def _unflat(tree, leaves):
    if tree is LEAF:
        return leaves[0]
    if tree.kind == "tuple" and all(c is LEAF for c in tree.children):
        return tuple(leaves)
    return tree_unflatten(tree, leaves)


_NODES = (tuple, list, dict)
_flat_tuples = {}


def _flat_tuple(n):
    t = _flat_tuples.get(n)
    if t is None:
        t = _flat_tuples[n] = tree_flatten((0,) * n)[1]
    return t


def _instantiate(values, like):
    """values with each None replaced by zeros shaped as its counterpart in like."""
    return [_zeros_like(x) if v is None else v for v, x in zip(values, like)]


def transposed_jvp(name, pullback, outs, primals, tangents):
    """The output tangents of a call whose pullback (``pullback(cts)``: one cotangent per
    input, None for zero) is linear in its cotangents: the transpose of the pullback,
    the VJP of ``cts -> pullback(cts)`` at zero cotangents, applied to the tangents."""
    from .api import vjp

    def pull(*cts):
        return _instantiate(pullback(list(cts)), primals)
    try:
        _, transposed = vjp(pull, *[_zeros_like(o) for o in outs])
    except TypeError as e:
        e.add_note(f"(forward mode of '{name}' transposes its backward rule, which must "
                   f"then be written with dualrev.numpy)")
        raise
    return list(transposed(_instantiate(tangents, primals)))


class CustomCall:
    """One call of a function with its own rules, on flat lists of leaves.

    ``fun(*xs)`` returns the list of output leaves (``out_tree`` notes their
    structure); ``jvp(primals, tangents)`` gives ``(outs, tangent_outs)``
    (a tangent of None is zero); ``linearize(primals, traced)`` gives ``(outs,
    pullback)`` where ``pullback(cts)`` (one cotangent per output, None for zero)
    returns one cotangent per input (None for zero or untraced);
    ``batched(batched, size)`` is the call on batched values (batch axis first
    where ``batched[i]``; every output batched).
    """

    # Whether linearize may run again at other values of the inputs (a recorded
    # backward sweep does so); an autograd.Function's backward uses its saved tensors.
    relinearizes = True

    def __init__(self, name, fun):
        self.name = name
        self._fun = fun
        self.out_tree = None

    def fun(self, *xs):
        return self._fun(*xs)


class JVPCall(CustomCall):
    """A call of a function with a JVP rule ``rule(primals, tangents) -> (outs,
    tangent_outs)`` (lists of leaves; no tangent is None)."""

    def __init__(self, name, fun, rule):
        super().__init__(name, fun)
        self.rule = rule

    def jvp(self, primals, tangents):
        return self.rule(primals, _instantiate(tangents, primals))

    def linearize(self, primals, traced):
        tape = Tape(f"custom_jvp of {self.name}")
        try:
            tans = [tape.new_input(_zeros_like(p)) if t else _zeros_like(p)
                    for p, t in zip(primals, traced)]
            outs, touts = self.rule(primals, tans)
        finally:
            tape.close()
        out_ids = [t.idx if type(t) is Var and t._trace is tape else -1 for t in touts]
        in_ids = [t.idx if k else -1 for t, k in zip(tans, traced)]

        def pullback(cts):
            seeds = {}
            for k, c in zip(out_ids, cts):
                if k >= 0 and c is not None:
                    seeds[k] = c if k not in seeds else seeds[k] + c
            if not seeds:
                return [None] * len(in_ids)
            got = tape.backward(seeds)
            return [got[k] if k >= 0 else None for k in in_ids]
        return outs, pullback

    def batched(self, batched, size):
        from .batching import vmap
        axes = [0 if b else None for b in batched]
        call = JVPCall(f"{self.name} (vmap)", None, None)
        call._fun = lambda *xs: vmap(lambda *ys: self.fun(*ys), in_axes=tuple(axes),
                                     axis_size=size)(*xs)

        def rule(primals, tangents):
            return vmap(lambda p, t: self.rule(p, t), in_axes=(axes, axes),
                        axis_size=size)(list(primals), list(tangents))
        call.rule = rule
        return call


class VJPCall(CustomCall):
    """A call of a function with a forward pass ``fwd(primals) -> (outs,
    residuals)`` and a backward pass ``bwd(residuals, cts) -> cotangent per
    input`` (cts: one per output, zeros for none; None in the result: zero)."""

    def __init__(self, name, fun, fwd, bwd):
        super().__init__(name, fun)
        self.fwd, self.bwd = fwd, bwd

    def linearize(self, primals, traced):
        outs, res = self.fwd(primals)

        def pullback(cts):
            got = self.bwd(res, _instantiate(cts, outs))
            return [g if t else None for g, t in zip(got, traced)]
        return outs, pullback

    def jvp(self, primals, tangents):
        outs, res = self.fwd(primals)
        return outs, transposed_jvp(self.name, lambda cts: self.bwd(res, cts), outs,
                                    primals, tangents)

    def batched(self, batched, size):
        from .batching import vmap
        from .numpy import sum as _sum
        axes = [0 if b else None for b in batched]
        call = VJPCall(f"{self.name} (vmap)", None, None, None)
        call._fun = lambda *xs: vmap(lambda *ys: self.fun(*ys), in_axes=tuple(axes),
                                     axis_size=size)(*xs)
        call.fwd = lambda primals: vmap(lambda p: self.fwd(p), in_axes=(axes,),
                                        axis_size=size)(list(primals))

        def bwd(res, cts):
            got = vmap(lambda r, c: list(self.bwd(r, c)), axis_size=size)(res, list(cts))
            # an unbatched input's cotangent sums the examples'
            return [g if b or g is None else _sum(g, axis=0) for g, b in zip(got, batched)]
        call.bwd = bwd
        return call


def _leaves_or_none(x, tree):
    """The leaves of x in the structure ``tree``, where None in x stands for zeros of
    a whole subtree (a None leaf per leaf); None if x has another structure."""
    if x is None:
        return [None] * tree.num_leaves
    k = tree.kind
    if k == "leaf":
        return None if isinstance(x, (tuple, list, dict)) else [x]
    if k == "none":
        return []
    if k == "dict":
        if type(x) is not dict or tuple(sorted(x)) != tree.meta:
            return None
        kids = [x[key] for key in tree.meta]
    elif (k == "tuple" and type(x) is tuple or k == "list" and type(x) is list
          or k == "namedtuple" and type(x) is tree.meta):
        kids = list(x)
    else:
        return None
    if len(kids) != len(tree.children):
        return None
    out = []
    for kid, sub in zip(kids, tree.children):
        leaves = _leaves_or_none(kid, sub)
        if leaves is None:
            return None
        out += leaves
    return out


# ============================================================================ the API

def _callable_name(fun):
    return getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)


def _check_argnums(nondiff_argnums, where):
    nums = (nondiff_argnums,) if isinstance(nondiff_argnums, int) else tuple(nondiff_argnums)
    for n in nums:
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise TypeError(f"{where}: nondiff_argnums must be non-negative ints, got "
                            f"{nondiff_argnums!r}")
    if len(set(nums)) != len(nums):
        raise ValueError(f"{where}: nondiff_argnums={nondiff_argnums!r} names an argument "
                         f"twice")
    return tuple(sorted(nums))


class _Custom:
    """What custom_jvp and custom_vjp share: the function, its non-differentiable
    arguments, and the call of it as one flat CustomCall."""

    kind = ""

    def __init__(self, fun, nondiff_argnums=()):
        if not callable(fun):
            raise TypeError(f"{self.kind}: fun must be callable, got {type(fun).__name__}")
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = _check_argnums(nondiff_argnums, self.kind)
        self.name = _callable_name(fun)
        try:
            self._signature = inspect.signature(fun)
        except (TypeError, ValueError):
            self._signature = None

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def _positional(self, args, kwargs):
        if kwargs:
            if self._signature is None:
                raise TypeError(f"{self.kind} function '{self.name}' takes positional "
                                f"arguments only (its signature cannot be read)")
            bound = self._signature.bind(*args, **kwargs)
            bound.apply_defaults()
            if bound.kwargs:
                raise TypeError(f"{self.kind} function '{self.name}': keyword-only "
                                f"arguments are not supported ({sorted(bound.kwargs)})")
            return tuple(bound.args)
        return args

    def _split(self, args):
        for n in self.nondiff_argnums:
            if n >= len(args):
                raise TypeError(
                    f"{self.kind} function '{self.name}': nondiff_argnums names argument "
                    f"{n}, but it was called with {len(args)} positional arguments")
        nondiff = [args[n] for n in self.nondiff_argnums]
        diff = [a for i, a in enumerate(args) if i not in self.nondiff_argnums]
        return nondiff, diff

    def _merge(self, nondiff, diff):
        if not nondiff:
            return diff
        out, nd, d = [], iter(nondiff), iter(diff)
        for i in range(len(nondiff) + len(diff)):
            out.append(next(nd) if i in self.nondiff_argnums else next(d))
        return out

    def _flat_fun(self, nondiff, in_tree, call):
        def flat(*leaves):
            out = self.fun(*self._merge(nondiff, _unflat(in_tree, list(leaves))))
            o_leaves, o_tree = _flat(out)
            call.out_tree = o_tree
            return o_leaves
        return flat

    def __call__(self, *args, **kwargs):
        self._defined()
        if not kwargs and _plain(args) and (
                not self.nondiff_argnums or self.nondiff_argnums[-1] < len(args)):
            return self.fun(*args)
        args = self._positional(args, kwargs)
        nondiff, diff = self._split(args)
        leaves, in_tree = tree_flatten(tuple(diff))
        call = self._call(nondiff, diff, in_tree)
        outs = bind_custom(call, leaves)
        return _unflat(call.out_tree, list(outs))


def _plain(args):
    """Whether no argument can hold a traced value (NumPy's arrays and scalars, Python's
    numbers and strings, callables): the function then simply runs."""
    for a in args:
        c = a.__class__
        if c not in NUMPY_TYPES and c is not str and not (callable(a) and not isinstance(
                a, Tracer)):
            return False
    return True


def _pair(res, what, name):
    if not (isinstance(res, (tuple, list)) and len(res) == 2):
        got = (f"a {type(res).__name__} of length {len(res)}" if isinstance(res, (tuple, list))
               else f"a {type(res).__name__}")
        raise TypeError(f"{what} of '{name}' must return a pair {_PAIRS[what]}, got {got}")
    return res


_PAIRS = {"the custom_jvp rule": "(primal_out, tangent_out)",
          "the custom_vjp fwd rule": "(primal_out, residuals)"}


class custom_jvp(_Custom):
    """A function with its own JVP rule, as ``jax.custom_jvp``.

    >>> @custom_jvp
    ... def log1pexp(x):
    ...     return dnp.log1p(dnp.exp(x))
    >>> @log1pexp.defjvp
    ... def log1pexp_jvp(primals, tangents):
    ...     x, = primals; x_dot, = tangents
    ...     return log1pexp(x), x_dot * (1 - 1 / (1 + dnp.exp(x)))
    >>> dualrev.grad(log1pexp)(100.0)                 # 1.0, not nan

    The rule takes ``(primals, tangents)`` (tuples, one entry per argument, the
    arguments in ``nondiff_argnums`` first and apart: ``rule(*nondiff, primals,
    tangents)``) and returns ``(primal_out, tangent_out)`` of the function's
    structure.  Reverse mode transposes the rule (it must be linear in the
    tangents); rules written with dualrev.numpy are differentiated again for
    higher orders.
    """

    kind = "custom_jvp"

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp, symbolic_zeros=False):
        """Define the JVP rule ``jvp(primals, tangents) -> (primal_out, tangent_out)``.
        Returns it, so that it can be used as a decorator."""
        if not callable(jvp):
            raise TypeError(f"custom_jvp '{self.name}': defjvp needs a callable rule, got "
                            f"{type(jvp).__name__}")
        if symbolic_zeros:
            raise NotImplementedError(
                f"custom_jvp '{self.name}': symbolic_zeros=True is not supported; the rule "
                f"gets zeros for the arguments without a tangent")
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps):
        """One rule per differentiable argument, ``jvp_i(x_dot_i, primal_out,
        *primals) -> tangent_out`` (None: that argument has no derivative); the
        tangent is the sum of theirs."""
        for i, r in enumerate(jvps):
            if r is not None and not callable(r):
                raise TypeError(f"custom_jvp '{self.name}': defjvps rule {i} must be callable "
                                f"or None, got {type(r).__name__}")

        def jvp(*args):
            primals, tangents = args[-2], args[-1]
            nondiff = args[:-2]
            if len(jvps) != len(primals):
                raise TypeError(
                    f"custom_jvp '{self.name}': defjvps was given {len(jvps)} rules for "
                    f"{len(primals)} differentiable arguments")
            ans = self.fun(*self._merge(nondiff, primals))
            a_leaves, a_tree = tree_flatten(ans)
            total = None
            for r, t in zip(jvps, tangents):
                if r is None:
                    continue
                contrib, c_tree = tree_flatten(r(t, ans, *primals))
                if c_tree != a_tree:
                    raise TypeError(
                        f"custom_jvp '{self.name}': a defjvps rule returned a tangent of "
                        f"structure {c_tree}, expected {a_tree} (the output's)")
                total = contrib if total is None else [x + y for x, y in zip(total, contrib)]
            if total is None:
                total = [_zeros_like(a) for a in a_leaves]
            return ans, tree_unflatten(a_tree, total)
        self.jvp = jvp
        return jvp

    def defvjp(self, *args, **kwargs):
        raise TypeError(
            f"'{self.name}' is a custom_jvp function: define its rule with defjvp (reverse "
            f"mode transposes it). For a function with its own VJP use dualrev.custom_vjp "
            f"and its defvjp(fwd, bwd)")

    def _defined(self):
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function {self.name} using "
                                 f"defjvp: call defjvp(rule) before calling it")

    def _call(self, nondiff, diff, in_tree):
        call = JVPCall(self.name, None, None)
        call._fun = self._flat_fun(nondiff, in_tree, call)
        call.rule = self._flat_rule(nondiff, in_tree, call)
        return call

    def _flat_rule(self, nondiff, in_tree, call):
        name = self.name

        def rule(primals, tangents):
            ps = _unflat(in_tree, list(primals))
            ts = _unflat(in_tree, list(tangents))
            p_out, t_out = _pair(self.jvp(*nondiff, tuple(ps), tuple(ts)),
                                 "the custom_jvp rule", name)
            p_leaves, p_tree = _flat(p_out)
            t_leaves, t_tree = _flat(t_out)
            if p_tree != t_tree:
                raise TypeError(
                    f"the custom_jvp rule of '{name}' returned a primal output of structure "
                    f"{p_tree} and a tangent output of structure {t_tree}; they must match")
            if call.out_tree is not None and p_tree != call.out_tree:
                raise TypeError(
                    f"the custom_jvp rule of '{name}' returned an output of structure "
                    f"{p_tree}, but the function returns {call.out_tree}")
            for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
                if np.shape(t) != np.shape(p):
                    raise ValueError(
                        f"the custom_jvp rule of '{name}' returned a tangent of shape "
                        f"{np.shape(t)} for output leaf {i}, expected shape {np.shape(p)} "
                        f"(the primal output's); broadcasting is not applied")
            call.out_tree = p_tree
            return p_leaves, t_leaves
        return rule


class custom_vjp(_Custom):
    """A function with its own VJP, as ``jax.custom_vjp``.

    >>> @custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> clip_gradient.defvjp(lambda x: (x, None),
    ...                      lambda res, g: (dnp.clip(g, -1.0, 1.0),))

    ``fwd(*args) -> (out, residuals)``; ``bwd(*nondiff, residuals, ct) -> tuple``
    with one cotangent per differentiable argument (None: zero).  Beyond JAX,
    forward mode (jvp, jacfwd, hessian, linearize) works too: ``bwd`` is linear
    in ``ct``, and its transpose is the JVP (bwd must then be written with
    dualrev.numpy).
    """

    kind = "custom_vjp"

    def __init__(self, fun, nondiff_argnums=()):
        super().__init__(fun, nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd, symbolic_zeros=False):
        """Define the rule: ``fwd(*args) -> (out, residuals)`` and ``bwd(residuals,
        ct) -> (ct per differentiable argument,)``."""
        for what, r in (("fwd", fwd), ("bwd", bwd)):
            if not callable(r):
                raise TypeError(f"custom_vjp '{self.name}': defvjp needs a callable {what}, "
                                f"got {type(r).__name__}")
        if symbolic_zeros:
            raise NotImplementedError(
                f"custom_vjp '{self.name}': symbolic_zeros=True is not supported; bwd gets "
                f"zeros for the outputs without a cotangent")
        self.fwd, self.bwd = fwd, bwd

    def defjvp(self, *args, **kwargs):
        raise TypeError(
            f"'{self.name}' is a custom_vjp function: define its rule with defvjp(fwd, bwd) "
            f"(forward mode transposes bwd). For a function with its own JVP use "
            f"dualrev.custom_jvp")

    def _defined(self):
        if self.fwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function {self.name} using "
                                 f"defvjp: call defvjp(fwd, bwd) before calling it")

    def _call(self, nondiff, diff, in_tree):
        call = VJPCall(self.name, None, None, None)
        call._fun = self._flat_fun(nondiff, in_tree, call)
        call.fwd = self._flat_fwd(nondiff, in_tree, call)
        call.bwd = self._flat_bwd(nondiff, in_tree, diff, call)
        return call

    def _flat_fwd(self, nondiff, in_tree, call):
        def fwd(primals):
            args = self._merge(nondiff, _unflat(in_tree, list(primals)))
            out, res = _pair(self.fwd(*args), "the custom_vjp fwd rule", self.name)
            o_leaves, o_tree = _flat(out)
            if call.out_tree is not None and o_tree != call.out_tree:
                raise TypeError(
                    f"the custom_vjp fwd rule of '{self.name}' returned an output of "
                    f"structure {o_tree}, but the function returns {call.out_tree}")
            call.out_tree = o_tree
            return o_leaves, res
        return fwd

    def _flat_bwd(self, nondiff, in_tree, diff, call):
        name = self.name
        arg_trees = [tree_flatten(a)[1] for a in diff]
        arg_shapes = [[np.shape(x) for x in tree_flatten(a)[0]] for a in diff]

        def bwd(res, cts):
            got = self.bwd(*nondiff, res, _unflat(call.out_tree, list(cts)))
            if not isinstance(got, (tuple, list)) or len(got) != len(diff):
                given = (f"a {type(got).__name__} of length {len(got)}"
                         if isinstance(got, (tuple, list)) else f"a {type(got).__name__}")
                raise TypeError(
                    f"the custom_vjp bwd rule of '{name}' must return a tuple with one "
                    f"cotangent per differentiable argument ({len(diff)}), got {given}")
            flat = []
            for i, (g, tree) in enumerate(zip(got, arg_trees)):
                g_leaves = _leaves_or_none(g, tree)
                if g_leaves is None:
                    g_tree = tree_flatten(g)[1]
                    raise TypeError(
                        f"the custom_vjp bwd rule of '{name}' returned a cotangent of "
                        f"structure {g_tree} for argument {i}, expected {tree} (the "
                        f"argument's)")
                for j, (c, shape) in enumerate(zip(g_leaves, arg_shapes[i])):
                    if c is not None and np.shape(c) != shape:
                        leaf = f" (leaf {j})" if tree.num_leaves > 1 else ""
                        raise ValueError(
                            f"the custom_vjp bwd rule of '{name}' returned a cotangent of "
                            f"shape {np.shape(c)} for argument {i}{leaf}, expected shape "
                            f"{shape} (the argument's); broadcasting is not applied")
                flat += g_leaves
            return flat
        return bwd


__all__ = ["custom_jvp", "custom_vjp", "CustomCall", "JVPCall", "VJPCall"]
