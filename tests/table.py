"""The primitive table: the cases through which every registered function (a
primitive or a composite) is checked.

``TABLE`` maps each name in ``dualrev.registry`` to the cases that reach it
through the public API.  A case is a function ``fn(m, *args)`` written once for
both array namespaces (``m`` is ``dualrev.numpy`` or ``jax.numpy``), plus its
inputs.  The cases of dualrev's first primitives are written in
test_primitives.py; each later group of functions has its module
``tests/table_<group>.py``, which calls ``case`` at import.  test_primitives.py
runs every case through its checks; test_backend_strict.py and
test_dask_table.py run them again on other libraries' arrays.

A case's ``strict`` (``dask``) is None when the case runs on array_api_strict
(Dask) arrays too, else the reason it does not (the function is not in the
array API standard, or not in Dask).  Name a case that passes complex values
through its function ``...complex...``: the coverage table reads that.
"""
import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers import AD, seed_for

F32, F64 = np.float32, np.float64


class Arg:
    """A random float input: uniform in [lo, hi]; with ``signed``, |x| in [lo, hi]
    with a random sign (for inputs that must stay away from zero)."""

    def __init__(self, *shape, lo=-2.0, hi=2.0, signed=False, dtype=F64):
        self.shape = tuple(shape)
        self.lo, self.hi, self.signed = lo, hi, signed
        self.dtype = np.dtype(dtype)

    def sample(self, rng):
        x = rng.uniform(self.lo, self.hi, size=self.shape)
        if self.signed:
            x = x * rng.choice([-1.0, 1.0], size=self.shape)
        # Rounded to float32 so the float32 run of a case sees the very same point.
        return np.asarray(x, dtype=F32).astype(self.dtype)

    def strategy(self):
        lo, hi = self.lo, self.hi
        el = st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False,
                       width=64)
        if self.signed:
            el = st.one_of(el, st.floats(-hi, -lo, allow_nan=False, allow_infinity=False,
                                         allow_subnormal=False))
        return hnp.arrays(F64, self.shape, elements=el).map(lambda a: a.astype(self.dtype))


class Case:
    """One way of calling a primitive: ``fn(m, *args)``.

    ``args`` holds ``Arg`` (random, seeded by the case id) or fixed arrays;
    ``diff`` lists the argnums differentiated (default: all); ``fd=False``
    leaves the case out of the finite-difference test (non-smooth points,
    float32 rounding); ``strict`` and ``dask``: None, or why the case does
    not run on that library's arrays; ``f32``: None, or why its float32 run
    cannot be compared with the float64 reference (a value that depends on
    the dtype, such as the largest finite number); ``vmap``: None, or why the
    function cannot run under vmap (a result whose shape its values decide).
    """

    def __init__(self, prim, name, fn, args, diff=None, fd=True, strict=None, dask=None,
                 f32=None, vmap=None):
        self.prim, self.name, self.fn = prim, name, fn
        self.args = tuple(args)
        self.diff = tuple(range(len(self.args))) if diff is None else tuple(diff)
        self.fd = fd
        self.strict, self.dask, self.f32, self.vmap = strict, dask, f32, vmap

    @property
    def id(self):
        return f"{self.prim}-{self.name}"

    def __repr__(self):
        return self.id

    def inputs(self, dtype=None):
        """Seeded inputs; with ``dtype``, every float input is cast to it."""
        rng = np.random.default_rng(seed_for(self.id))
        out = []
        for a in self.args:
            a = a.sample(rng) if isinstance(a, Arg) else np.array(a)
            if dtype is not None and a.dtype.kind == "f":
                a = a.astype(dtype)
            out.append(a)
        return out

    def restricted(self, m, args):
        """``fn(m, *args)`` as a function of the differentiated arguments only."""
        def f(*d):
            full = list(args)
            for i, v in zip(self.diff, d):
                full[i] = v
            return self.fn(m, *full)
        return f

    def scalarised(self, m, args, w):
        """``sum(w * fn(...))`` for a fixed weighting ``w`` of the output's shape."""
        f = self.restricted(m, args)
        return lambda *d: m.sum(f(*d) * w)

    def diff_args(self, args):
        return [args[i] for i in self.diff]

    def argnums(self):
        return tuple(range(len(self.diff)))


TABLE = {}


def case(prim, name, fn, *args, **kw):
    TABLE.setdefault(prim, []).append(Case(prim, name, fn, args, **kw))


def ad(m):
    return AD[m]


def load_groups():
    """Import every ``tests/table_<group>.py`` (each adds its cases to TABLE)."""
    import importlib
    import pathlib
    for path in sorted(pathlib.Path(__file__).parent.glob("table_*.py")):
        importlib.import_module(path.stem)
