"""PyTorch's ``torch.autograd`` functions for Tensors: grad, backward, gradcheck, gradgradcheck.

Complex values follow PyTorch's convention here, while the tape and every VJP rule
follow JAX's (a VJP is the transpose; for a real loss L of z = a + ib the
cotangent reaching z is dL/da - i dL/db).  PyTorch's gradient is the conjugate:
``torch_vjp(v) = conj(jax_vjp(conj(v)))``.  So, in one place, the backward
conjugates the complex gradients it is given (the seeds), sweeps the tape, and
conjugates the complex gradients it delivers (``.grad``, ``autograd.grad``'s
results, retained gradients).  With ``create_graph`` both conjugations are
recorded, so derivatives of gradients follow the same convention.  Real values
go through untouched.  Tensor hooks (``Tensor.register_hook``) see and return
PyTorch's gradients: the tape's cotangent is conjugated on the way in and out.
"""
import sys
import threading
import warnings

import numpy as np

from . import backend as _backend, debug as _debug, devices as _devices, numpy as dnp
from .core import Tracer, strip
from .graph import Graph, absorb, graph_var, resolve, set_grad_enabled, unite
from .ops import randn
from .tensor import Tensor, _dtype_of, _fwd_primal, _wrap, no_grad
from . import forward_ad  # noqa: E402

# ``import dualrev.autograd.forward_ad`` as ``import torch.autograd.forward_ad``
sys.modules[__name__ + ".forward_ad"] = forward_ad



def _seq(x, what):
    if isinstance(x, Tensor):
        return (x,)
    if isinstance(x, (list, tuple)):
        return tuple(x)
    raise TypeError(f"{what} must be a Tensor or a sequence of Tensors, got {type(x).__name__}")


def _grads_arg(grads, n, what):
    if grads is None:
        return (None,) * n
    grads = _seq(grads, what) if not isinstance(grads, (list, tuple)) else tuple(grads)
    if len(grads) != n:
        raise RuntimeError(f"{what}: got {len(grads)} gradients for {n} outputs")
    return grads


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``.

    ``dualrev.autograd.backward([a, b])`` is ``(a + b).backward()`` for scalars.
    """
    tensors = _seq(tensors, "backward: tensors")
    grads = _grads_arg(grad_tensors, len(tensors), "backward: grad_tensors")
    run_backward(tensors, grads, retain_graph, create_graph,
                 inputs=None if inputs is None else _seq(inputs, "backward: inputs"),
                 where="backward")


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple.

    Nothing is accumulated into ``.grad``.  ``create_graph=True`` records the
    computation, so the results can be differentiated again.

    >>> x = dualrev.tensor(3.0, requires_grad=True)
    >>> dualrev.autograd.grad(x ** 3, x)
    (tensor(27.),)
    """
    outputs = _seq(outputs, "autograd.grad: outputs")
    inputs = _seq(inputs, "autograd.grad: inputs")
    grads = _grads_arg(grad_outputs, len(outputs), "autograd.grad: grad_outputs")
    res = run_backward(outputs, grads, retain_graph, create_graph, inputs=inputs,
                       where="autograd.grad", accumulate=False,
                       allow_unused=bool(allow_unused) or materialize_grads)
    if materialize_grads:
        res = tuple(_wrap(_devices.like(np.zeros(t.shape, t.dtype), strip(t._value)))
                    if g is None else g for g, t in zip(res, inputs))
    return res


# ============================================================================ backward

def _seed(out, g, n, create_graph, handed):
    """The cotangent to start from at output n: an array, or a Tensor to record it as
    (conjugated if complex: the tape's convention, see the module's docstring)."""
    x = strip(out._value)
    if x.__class__ is not np.ndarray and _backend.is_foreign(x):
        return _device_seed(out, x, g, n, create_graph, handed)
    shape, dtype = tuple(np.shape(x)), np.result_type(x)
    if g is None:
        _implicit(shape, dtype)
        return np.ones(shape, dtype)
    g = g if isinstance(g, Tensor) else _wrap(np.asarray(g))
    gs = tuple(np.shape(strip(g._value)))
    if gs != shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[{n}] has a shape of {gs} and "
                           f"output[{n}] has a shape of {shape}")
    if g.device.type != "cpu":
        raise _devices.mismatch([g.device, _devices.CPU])
    if np.result_type(strip(g._value)) != dtype:
        g = g.type(dtype)
    if create_graph and g.requires_grad:
        return dnp.conj(g) if dtype.kind == "c" else g
    v = strip(g._value)
    if dtype.kind == "c":
        return np.conjugate(v)
    handed.add(id(v))
    return v


def _implicit(shape, dtype):
    """Check that an output of this shape and dtype may be seeded with 1 implicitly."""
    if int(np.prod(shape)) != 1:
        raise RuntimeError(
            f"grad can be implicitly created only for scalar outputs: this output has "
            f"shape {shape}. Reduce it to a scalar first (e.g. .sum()), or pass the "
            f"upstream gradient: backward(gradient) with a tensor of shape {shape}")
    if dtype.kind == "c":
        raise RuntimeError(
            f"grad can be implicitly created only for real scalar outputs but got "
            f"{dtype}: reduce the output to a real number first (e.g. .abs() or .real), "
            f"or pass the upstream gradient: backward(gradient)")


def _device_seed(out, x, g, n, create_graph, handed):
    """_seed for an output held by another library (on a GPU): the seed is made there."""
    shape, dtype = tuple(np.shape(x)), _dtype_of(x)
    if g is None:
        _implicit(shape, dtype)
        return _backend.full(shape, 1, _backend.dtype(x), like=x)
    g = g if isinstance(g, Tensor) else _wrap(g)
    gs = tuple(np.shape(strip(g._value)))
    if gs != shape:
        raise RuntimeError(f"Mismatch in shape: grad_output[{n}] has a shape of {gs} and "
                           f"output[{n}] has a shape of {shape}")
    if g.device != out.device:
        raise _devices.mismatch([out.device, g.device])
    if g.dtype != dtype:
        g = g.type(dtype)
    if create_graph and g.requires_grad:
        return dnp.conj(g) if dtype.kind == "c" else g
    v = strip(g._value)
    if dtype.kind == "c":
        return _backend.namespace(v).conj(v)
    handed.add(id(v))
    return v


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                 where="backward", accumulate=True, allow_unused=False):
    """The engine behind ``Tensor.backward`` and ``autograd.grad``.

    Seeds the graph of ``outputs`` with ``grad_outputs``, sweeps it once, and
    either accumulates into ``.grad`` (leaves and retained tensors, or only
    ``inputs`` if given) or returns the gradients of ``inputs``.
    """
    if retain_graph is None:
        retain_graph = create_graph
    handed = set()
    roots, seed_list = [], []
    for n, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{where}: outputs must be Tensors, got {type(out).__name__}")
        v = _fwd_primal(out._value)     # backward goes through the primal of a dual tensor
        gv = graph_var(v)
        if isinstance(v, Tracer) and gv is not v:
            raise RuntimeError(
                f"{where}: this tensor is traced by a dualrev transformation (grad, vjp, jvp, "
                f"...); inside a transformation, differentiate with the functional API and "
                f"return the result instead of calling {where}")
        if gv is None and not out._rg:
            raise RuntimeError(
                f"element {n} of tensors does not require grad and does not have a grad_fn: "
                f"no operation that made it was recorded. Create the inputs with "
                f"requires_grad=True (and compute outside no_grad()) to differentiate.")
        roots.append((out, gv))
        seed_list.append(_seed(out, g, n, create_graph, handed))
    wanted = [] if inputs is None else list(inputs)
    for i, t in enumerate(wanted):
        if not isinstance(t, Tensor):
            raise TypeError(f"{where}: inputs must be Tensors, got {type(t).__name__}")
        if not t.requires_grad:
            raise RuntimeError(f"{where}: input {i} does not require grad (one of the "
                               f"differentiated Tensors does not require grad)")
    wanted_gv = [graph_var(t._value) for t in wanted]     # None for a leaf
    found = [gv for _, gv in roots] + wanted_gv + [
        graph_var(s._value) for s in seed_list if isinstance(s, Tensor)]
    found = [v for v in found if v is not None]
    while True:
        graph, _ = unite(found)
        if graph is None:
            graph = Graph()
        # Held until the sweep is done: no other thread merges, records on or sweeps
        # the graph meanwhile.
        graph.lock.acquire()
        if graph.fwd is None and all(resolve(v)._trace is graph for v in found):
            break
        graph.lock.release()       # merged by another thread since: once more
    try:
        seeds = {}
        for (out, gv), s in zip(roots, seed_list):
            k = gv.idx if gv is not None else graph.leaf_var(out).idx
            if isinstance(s, Tensor):
                s = s._value if graph_var(s._value) is not None else graph.leaf_var(s)
            seeds[k] = s if k not in seeds else dnp.add(seeds[k], s)
        keep = {gv.idx for gv in wanted_gv if gv is not None}
        retained = [(k, r) for k, r in graph.retained.items() if r() is not None]
        keep.update(k for k, _ in retained)
        only = None
        if inputs is not None:
            # Pull back only through what leads to the inputs (the rest stays usable).
            only = set(keep) | {k for k, leaf, _ in graph.inputs if any(leaf is t for t in wanted)}
        inputs_now = list(graph.inputs)      # accumulating may merge graphs into this one
        hooks = {k: _hook_caller(h, graph, handed, create_graph)
                 for k, h in graph.hooks.items() if h}
        cts = graph.pull(seeds, retain_graph, create_graph, keep, only, hooks)
    finally:
        graph.lock.release()
    was = set_grad_enabled(create_graph)
    leaf_done = {}

    def leaf_hooked(t, c):
        """c after the hooks registered on leaf t (once per leaf and backward)."""
        h = getattr(t, "_hooks", None)
        if not h or c is None:
            return c
        if id(t) not in leaf_done:
            leaf_done[id(t)] = _hook_caller(h, graph, handed, create_graph)(c)
        return leaf_done[id(t)]
    try:
        for k, ref in retained:
            t = ref()
            if t is not None and cts[k] is not None:
                _accumulate(t, cts[k], handed)
        if not accumulate:
            results = []
            for i, (t, c) in enumerate(zip(wanted, _grads_of(inputs_now, wanted, wanted_gv, cts))):
                if wanted_gv[i] is None:
                    c = leaf_hooked(t, c)
                if c is None and not allow_unused:
                    raise RuntimeError(
                        f"{where}: input {i} was not used in the graph of the outputs; pass "
                        f"allow_unused=True to get None for it")
                results.append(None if c is None else _wrap(_delivered(c, t.dtype, handed)))
            return tuple(results)
        if inputs is not None:
            for t, gv, c in zip(wanted, wanted_gv, _grads_of(inputs_now, wanted, wanted_gv, cts)):
                if gv is None:
                    c = leaf_hooked(t, c)
                if c is not None:
                    _accumulate(t, c, handed)
            return None
        hooked = {}      # a leaf with hooks: they see the sum over its input entries
        for k, leaf, _ in inputs_now:
            if cts[k] is not None and leaf._rg:
                if getattr(leaf, "_hooks", None):
                    prev = hooked.get(id(leaf))
                    hooked[id(leaf)] = (leaf, cts[k] if prev is None else dnp.add(prev[1], cts[k]))
                else:
                    _accumulate(leaf, cts[k], handed)
        for leaf, c in hooked.values():
            c = leaf_hooked(leaf, c)
            if c is not None:
                _accumulate(leaf, c, handed)
        return None
    finally:
        set_grad_enabled(was)


# A hook's return value that stops the gradient there (the tensor's producer gets none):
# for the module backward hooks of dualrev.nn.
DROP = object()


def _hook_caller(hooks, graph, handed, create_graph):
    """For the tape: fn(cotangent) that runs the hooks of one tensor (a TensorHooks) on
    its gradient, in PyTorch's convention, and returns the tape's cotangent to go on with
    (None for none)."""
    dtype = hooks.dtype

    def run(c):
        g = _wrap(_delivered(c, dtype, handed))
        for fn in list(hooks.values()):
            r = fn(g)
            if r is None:
                continue
            if r is DROP:
                return None
            _check_hook_result(fn, g, r)
            g = r
        v = g._value
        if not create_graph:
            v = strip(v)
        else:
            gv = graph_var(v)
            if gv is None and g._rg:
                v = graph.leaf_var(g)
            elif gv is not None and gv._trace is not graph:
                absorb(graph, gv)     # recorded apart from the graph swept: one graph now
        if isinstance(v, Tracer):
            return dnp.conj(v) if dtype.kind == "c" else v
        if dtype.kind == "c":
            return _backend.namespace(v).conj(v) if _backend.is_foreign(v) else np.conjugate(v)
        handed.add(id(v))        # may be held elsewhere: copied before it is handed out
        return v
    return run


def _check_hook_result(fn, g, r):
    name = getattr(fn, "__name__", type(fn).__name__)
    if not isinstance(r, Tensor):
        raise TypeError(f"expected a Tensor or None, but hook '{name}' returned "
                        f"'{type(r).__name__}'")
    if r.shape != g.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value (was "
                           f"{list(g.shape)} got {list(r.shape)})")
    if r.dtype != g.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {g.dtype} "
                           f"got {r.dtype})")
    if r.device != g.device:
        raise RuntimeError(f"hook '{name}' has changed the device of value (was {g.device} "
                           f"got {r.device})")


def _grads_of(inputs, wanted, wanted_gv, cts):
    """Per wanted tensor, its cotangent (summed over a leaf's input entries), or None."""
    for t, gv in zip(wanted, wanted_gv):
        if gv is not None:
            yield cts[gv.idx]
            continue
        c = None
        for k, leaf, _ in inputs:
            if leaf is t and cts[k] is not None:
                c = cts[k] if c is None else dnp.add(c, cts[k])
        yield c


def _delivered(c, dtype, handed):
    """The gradient to hand over for the tape's cotangent c: conjugated if complex (see
    the module's docstring), of the given dtype, as an array no other tensor holds (a
    copy if needed)."""
    if isinstance(c, Tracer):
        if _dtype_of(strip(c)).kind == "c":
            c = dnp.conj(c)
        return c if _dtype_of(strip(c)) == dtype else dnp.astype(c, dtype)
    if c.__class__ is not np.ndarray and _backend.is_foreign(c):
        return _delivered_on_device(c, dtype, handed)
    if np.iscomplexobj(c):
        c = np.conjugate(c, out=np.empty(np.shape(c), np.result_type(c)))
        c.imag += 0.0      # +0, not -0, where the tape's imaginary part was +0 (as PyTorch prints)
    if c.__class__ is np.ndarray and c.base is not None:
        c = _unaliased_base(c)
    if (c.__class__ is not np.ndarray or c.base is not None or id(c) in handed
            or not c.flags.writeable or c.dtype != dtype):
        c = np.array(c, dtype=dtype, order="C")
    handed.add(id(c))
    return c


def _delivered_on_device(c, dtype, handed):
    """_delivered for another library's array (a GPU's): conjugated if complex, of the
    given dtype, an array no other tensor holds."""
    xp = _backend.namespace(c)
    fresh = False
    if _dtype_of(c).kind == "c":
        c, fresh = xp.conj(c), True
    if _dtype_of(c) != dtype:
        c, fresh = xp.astype(c, _backend.xp_dtype(xp, dtype)), True
    if not fresh and id(c) in handed:
        c = xp.asarray(c, copy=True)
    handed.add(id(c))
    return c


def _unaliased_base(c):
    """The array c views, if c is all of it in the same layout and nothing else refers
    to it (as ``(A.T).T`` of a temporary A); else c."""
    b = c.base
    if (b.__class__ is np.ndarray and b.base is None and b.shape == c.shape
            and b.strides == c.strides and b.dtype == c.dtype
            and sys.getrefcount(b) <= 3):     # b here, c.base, getrefcount's argument
        return b
    return c


# Held while a gradient is added to a .grad: threads that accumulate into one leaf
# at once each add their whole contribution (in some order).
_accumulate_lock = threading.RLock()


def _accumulate(t, c, handed):
    c = _delivered(c, t.dtype, handed)
    with _accumulate_lock:
        if t._grad is None:
            t._grad = _wrap(c)
            return
        old = t._grad._value
        if isinstance(c, Tracer) or old.__class__ is not np.ndarray or not old.flags.writeable:
            t._grad = _wrap(dnp.add(old, c))
        else:
            np.add(old, c, out=old)
            t._grad._vc[0] += 1


# ============================================================================ gradcheck

class GradcheckError(RuntimeError):
    """gradcheck found analytical and numerical derivatives that disagree."""


def _outputs(func, inputs):
    out = func(*inputs)
    return _seq(out, "gradcheck: the function's output")


def _perturbed(inputs, i, flat_index, delta):
    """inputs with element flat_index of input i moved by delta (a copy of that input)."""
    x = np.array(strip(inputs[i]._value), copy=True)
    x.reshape(-1)[flat_index] += delta
    t = Tensor(x, dtype=x.dtype, requires_grad=inputs[i]._rg)
    return inputs[:i] + (t,) + inputs[i + 1:]


def _numerical_jacobians(func, inputs, diff, eps):
    """J[o][i]: (output o size, input i size) central differences."""
    outs = [np.asarray(strip(o._value), dtype=np.float64) for o in _outputs(func, inputs)]
    J = [[np.zeros((o.size, inputs[i].numel())) for i in diff] for o in outs]
    for col, i in enumerate(diff):
        for e in range(inputs[i].numel()):
            plus = _outputs(func, _perturbed(inputs, i, e, eps))
            minus = _outputs(func, _perturbed(inputs, i, e, -eps))
            for o, (p, m) in enumerate(zip(plus, minus)):
                d = (np.asarray(strip(p._value), np.float64)
                     - np.asarray(strip(m._value), np.float64)) / (2 * eps)
                J[o][col][:, e] = d.reshape(-1)
    return J


def _analytical_jacobians(func, inputs, diff):
    outs = _outputs(func, inputs)
    J = [[np.zeros((o.numel(), inputs[i].numel())) for i in diff] for o in outs]
    for o, out in enumerate(outs):
        if not out.requires_grad:
            continue
        for k in range(out.numel()):
            seed = np.zeros(out.numel(), dtype=out.dtype)
            seed[k] = 1
            gs = grad(out, [inputs[i] for i in diff], _wrap(seed.reshape(out.shape)),
                      retain_graph=True, allow_unused=True)
            for col, g in enumerate(gs):
                if g is not None:
                    J[o][col][k, :] = np.asarray(strip(g._value), np.float64).reshape(-1)
    return J


def _index_str(flat, shape):
    if not shape:
        return ""
    return "[" + ", ".join(str(int(i)) for i in np.unravel_index(flat, shape)) + "]"


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, fast_mode=False):
    """Compare backward()'s Jacobians of func with central finite differences.

    For every output and every input that requires grad, each entry must
    satisfy ``|analytical - numerical| <= atol + rtol * |numerical|``.
    Returns True, or raises ``GradcheckError`` naming the output, the input
    and the worst entry (returns False with ``raise_exception=False``).
    Use float64 inputs: in float32 the differences are too coarse.
    """
    inputs = _seq(inputs, "gradcheck: inputs")
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of them have requires_grad=True.")
    for i in diff:
        if inputs[i].dtype.kind == "c":
            raise NotImplementedError(
                f"gradcheck: input {i} is complex ({inputs[i].dtype}); only real inputs are "
                f"checked. Check a function of its real and imaginary parts instead (take them "
                f"as two real inputs and build the complex value inside the function)")
        if inputs[i].dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating "
                          f"point tensor ({inputs[i].dtype}). This check will likely fail if all "
                          f"the inputs are not of double precision.", UserWarning, stacklevel=2)
    for o, out in enumerate(_outputs(func, inputs)):
        if out.dtype.kind == "c":
            raise NotImplementedError(
                f"gradcheck: output {o} is complex ({out.dtype}); only real outputs are "
                f"checked. Return its real and imaginary parts (out.real, out.imag) instead")
    numerical = _numerical_jacobians(func, inputs, diff, eps)
    analytical = _analytical_jacobians(func, inputs, diff)
    outs = _outputs(func, inputs)
    for o, (n_row, a_row) in enumerate(zip(numerical, analytical)):
        for col, (n, a) in enumerate(zip(n_row, a_row)):
            excess = np.abs(a - n) - (atol + rtol * np.abs(n))
            bad = ~(excess <= 0)
            if not bad.any():
                continue
            i = diff[col]
            r, c = np.unravel_index(int(np.nanargmax(np.where(bad, np.nan_to_num(
                excess, nan=np.inf), -np.inf))), a.shape)
            msg = (f"Jacobian mismatch for output {o} with respect to input {i}: "
                   f"{int(bad.sum())} of {a.size} entries differ. Worst entry: "
                   f"d output{_index_str(r, tuple(outs[o].shape))} / d input"
                   f"{_index_str(c, tuple(inputs[i].shape))}: numerical {float(n[r, c])!r}, "
                   f"analytical {float(a[r, c])!r} (|difference| {abs(a[r, c] - n[r, c]):.6g} > "
                   f"atol + rtol * |numerical| = {atol + rtol * abs(n[r, c]):.6g})")
            if a.size <= 100:
                msg += (f",\nnumerical:\n{np.array2string(n, precision=6)}\nanalytical:\n"
                        f"{np.array2string(a, precision=6)}")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  fast_mode=False):
    """Check second derivatives: gradcheck of the vector-Jacobian product of func.

    The checked function maps ``(inputs, grad_outputs)`` to
    ``autograd.grad(func(inputs), inputs, grad_outputs, create_graph=True)``;
    random grad_outputs are drawn when not given.
    """
    inputs = _seq(inputs, "gradgradcheck: inputs")
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        with no_grad():
            grad_outputs = tuple(randn(o.shape, dtype=o.dtype, requires_grad=True) for o in outs)
    else:
        grad_outputs = _seq(grad_outputs, "gradgradcheck: grad_outputs")
    n = len(inputs)

    def vjp_of_func(*args):
        xs, gos = args[:n], args[n:]
        ys = _outputs(func, xs)
        diff = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = grad(ys, diff, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(vjp_of_func, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)


from .function import Function, FunctionCtx, once_differentiable  # noqa: E402,F401


# ============================================================================ anomaly detection

class set_detect_anomaly:
    """Turn anomaly detection on or off (a context manager, as PyTorch's).  While on,
    a backward sweep that produces NaN raises RuntimeError naming the backward
    function, with the traceback of the forward call that recorded it."""

    def __init__(self, mode, check_nan=True):
        self.prev = _debug.set_anomaly(bool(mode) and check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _debug.set_anomaly(self.prev)
        return False


class detect_anomaly:
    """``with dualrev.autograd.detect_anomaly():`` check every backward function's
    results for NaN (see ``set_detect_anomaly``); also a decorator."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self._saved = []
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the "
                      "runtime and should only be enabled for debugging.", UserWarning,
                      stacklevel=2)

    def __enter__(self):
        self._saved.append(_debug.set_anomaly(self.check_nan))
        return self

    def __exit__(self, *exc):
        _debug.set_anomaly(self._saved.pop())
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        return wrapped


def is_anomaly_enabled():
    return _debug.anomaly_enabled()


def is_anomaly_check_nan_enabled():
    return _debug.anomaly_enabled()


__all__ = ["backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError", "Function",
           "FunctionCtx", "once_differentiable", "detect_anomaly", "set_detect_anomaly",
           "is_anomaly_enabled"]
