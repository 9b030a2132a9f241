"""Array namespaces: which library computes on a value.

NumPy is the default.  NumPy arrays, NumPy scalars and Python numbers are
computed on by the primitives' NumPy implementations: that is the fast path,
one type check.  Any other array (Dask, CuPy, an array-API-standard array such
as ``array_api_strict``'s) is computed on by its own library, through its
array-API namespace (``array_api_compat.array_namespace``): the primitives'
implementations, their rules, symbolic zeros, one-hot bases and the backward
sweep all run there, on the array's device, and results, tangents and
gradients come back as that library's arrays.

    >>> import dask.array as da
    >>> backend.namespace(da.ones(3))          # array_api_compat.dask.array
    >>> backend.namespace(np.ones(3), 2.0)     # numpy
"""
import numpy as np

# The classes NumPy's implementations take directly (exact classes: one set lookup).
NUMPY_TYPES = frozenset({np.ndarray, bool, int, float, complex}
                        | {t for t in np.sctypeDict.values() if issubclass(t, np.generic)})
# NumPy's arrays and scalars (not Python's numbers).
NUMPY_STRONG = NUMPY_TYPES - {bool, int, float, complex}
_compat = None


def _array_api_compat():
    global _compat
    if _compat is None:
        try:
            import array_api_compat
        except ImportError as e:   # pragma: no cover - a dependency; only if removed by hand
            raise ImportError(
                "dualrev needs the package array-api-compat to compute on arrays of "
                "libraries other than NumPy (pip install array-api-compat)") from e
        _compat = array_api_compat
    return _compat


def _leaf(x):
    """x's innermost value: a traced value's primal (a vmap batch's values)."""
    from .core import Tracer
    while isinstance(x, Tracer):
        x = x.primal if hasattr(x, "primal") else x.val
    return x


def is_foreign(x):
    """Whether x (not traced) is an array of a library other than NumPy."""
    c = x.__class__
    if c in NUMPY_TYPES or isinstance(x, (np.ndarray, np.generic)) or x is None:
        return False
    if c in (list, tuple, slice, str) or c.__module__ == "builtins":
        return False
    return _array_api_compat().is_array_api_obj(x)


def library(x):
    """The name of the library that owns x (``"numpy"`` for NumPy and Python values).

        >>> backend.library(np.ones(2)), backend.library(cupy.ones(2))    # ('numpy', 'cupy')
    """
    x = _leaf(x)
    if not is_foreign(x):
        return "numpy"
    return type(x).__module__.split(".")[0]


def foreign_namespace(values, who=None):
    """The array-API namespace of the foreign arrays among values (traced values
    looked through), or None when NumPy computes on all of them.  Arrays of two
    different foreign libraries raise a TypeError naming both and ``who``."""
    xp = owner = None
    for v in values:
        v = _leaf(v)
        if v.__class__ in NUMPY_TYPES or not is_foreign(v):
            continue
        lib = type(v).__module__.split(".")[0]
        if owner is None:
            owner, xp = lib, _array_api_compat().array_namespace(v)
        elif lib != owner:
            raise TypeError(
                f"{_who(who)}arrays of two libraries in one call, {owner} and {lib}; "
                f"move them to one library first")
    return xp


def namespace(*values, who=None):
    """The array namespace that computes on values: NumPy, unless one of them is
    another library's array (then that library's array-API namespace)."""
    xp = foreign_namespace(values, who)
    return np if xp is None else xp


def _who(who):
    return f"{who}: " if who else ""


def apply(prim, args, params):
    """prim's implementation on args, in the namespace of their arrays.

    NumPy's (``prim.impl``) when every argument is a NumPy or Python value;
    otherwise ``prim.xp_impl(xp, *args, **params)`` with the foreign arrays'
    namespace.  An error raised there names the primitive (and, for a library
    that refuses NumPy's arrays, both libraries)."""
    for a in args:
        if a.__class__ not in NUMPY_TYPES:
            break
    else:
        return prim.impl(*args, **params)
    xp = foreign_namespace(args, f"'{prim.name}'")
    if xp is None:
        return prim.impl(*args, **params)
    args = python_scalars(args)
    try:
        return prim.xp_impl(xp, *args, **params)
    except Exception as e:
        mixed = [a for a in args if isinstance(a, (np.ndarray, np.generic))]
        lib = next(library(a) for a in args if is_foreign(a))
        if mixed and isinstance(e, TypeError):
            raise TypeError(
                f"'{prim.name}': {lib} refused a NumPy array among its arguments ({e}); "
                f"move the NumPy values to {lib} first") from e
        e.add_note(f"(raised by {lib} in dualrev's primitive '{prim.name}')")
        raise


def python_scalars(values):
    """values with NumPy's scalars as Python's (the array API standard mixes arrays with
    Python scalars only; they are weakly typed there, as NumPy's are not)."""
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def known_shape(x, who):
    """x's shape, which ``who`` needs; a shape the library does not know yet (a Dask
    array of unknown chunk sizes) raises the library's error, with ``who`` named."""
    shape = getattr(x, "shape", None)
    shape = np.shape(x) if shape is None else tuple(shape)
    if all(isinstance(n, (int, np.integer)) for n in shape):
        return shape
    lib = library(x)
    msg = f"Array chunk size or shape is unknown: shape {shape}"
    if lib == "dask":
        from dask.array.core import unknown_chunk_message
        msg += unknown_chunk_message
    err = ValueError(msg)
    err.add_note(f"(raised for {lib}'s array in dualrev's '{who}', which needs its shape)")
    raise err


# ----------------------------------------------------------------------------- dtypes

def dtype(x):
    """x's dtype (NumPy's result type for Python numbers and lists)."""
    d = getattr(x, "dtype", None)
    return d if d is not None else np.result_type(x)


_KINDS = (("complex", "c"), ("float", "f"), ("uint", "u"), ("int", "i"), ("bool", "b"))


def kind(dt):
    """NumPy's one-letter kind of a dtype of any library: 'b', 'i', 'u', 'f' or 'c'."""
    k = getattr(dt, "kind", None)
    if isinstance(k, str):
        return k
    name = str(dt).rsplit(".", 1)[-1]
    for word, k in _KINDS:
        if name.startswith(word):
            return k
    return np.dtype(dt).kind


def as_dtype(dt):
    """dt as NumPy's dtype where NumPy knows it; another library's dtype object as it is."""
    try:
        return np.dtype(dt)
    except TypeError:
        return dt


def same_dtype(a, b):
    """Whether dtypes a and b are the same (by name when one is another library's)."""
    if isinstance(a, np.dtype) and isinstance(b, np.dtype):
        return a == b
    return str(a).rsplit(".", 1)[-1] == str(b).rsplit(".", 1)[-1]


def xp_dtype(xp, dt):
    """The dtype of namespace xp named as NumPy's dtype dt (libraries with their own dtype
    objects, such as array_api_strict, need theirs)."""
    if isinstance(dt, np.dtype):
        return getattr(xp, dt.name, dt)
    return dt


def is_complex(x):
    """Whether x's dtype is complex."""
    return kind(dtype(x)) == "c"


def real_dtype(dt, xp):
    """The real dtype of a complex one (of namespace xp), as ``abs`` returns."""
    if xp is np or isinstance(dt, np.dtype):
        return np.finfo(dt).dtype
    return xp.finfo(dt).dtype


# ----------------------------------------------------------------------------- arrays like another

def device(x):
    """x's device (``"cpu"`` for NumPy values)."""
    x = _leaf(x)
    if not is_foreign(x):
        return "cpu"
    return _array_api_compat().device(x)


def zeros(shape, dt, like):
    """Zeros of shape and dtype dt, in the library (and on the device) of ``like``."""
    like = _leaf(like)
    if not is_foreign(like):
        return np.zeros(shape, dt)
    xp = _array_api_compat().array_namespace(like)
    return xp.zeros(shape, dtype=dt, device=_array_api_compat().device(like))


def full(shape, fill, dt, like):
    """``fill`` everywhere, shape and dtype dt, in the library and on the device of ``like``."""
    like = _leaf(like)
    if not is_foreign(like):
        return np.full(shape, fill, dt)
    xp = _array_api_compat().array_namespace(like)
    return xp.full(shape, fill, dtype=dt, device=_array_api_compat().device(like))


def asarray(v, like, dt=None):
    """v (a NumPy array or a Python value) as an array of ``like``'s library and device."""
    like = _leaf(like)
    if not is_foreign(like):
        return np.asarray(v, dt)
    xp = _array_api_compat().array_namespace(like)
    if isinstance(v, (np.ndarray, np.generic)):
        v = v.tolist() if v.ndim == 0 else v
    return xp.asarray(v, dtype=dt, device=_array_api_compat().device(like))


def chunks(x):
    """x's chunks where its library splits arrays into chunks (Dask), else None."""
    x = _leaf(x)
    if x.__class__ in NUMPY_TYPES or not is_foreign(x):
        return None
    return getattr(x, "chunks", None) if library(x) == "dask" else None


def to_numpy(x):
    """x as a NumPy array (copied to the host from a device)."""
    x = _leaf(x)
    if not is_foreign(x):
        return np.asarray(x)
    lib = library(x)
    if lib == "cupy":
        return x.get()
    if lib == "dask":
        return np.asarray(x.compute())
    return np.asarray(x)


__all__ = ["NUMPY_STRONG", "NUMPY_TYPES", "apply", "as_dtype", "asarray", "chunks", "device", "dtype", "foreign_namespace",
           "full", "is_complex", "is_foreign", "kind", "library", "namespace", "real_dtype", "same_dtype",
           "to_numpy", "xp_dtype", "zeros"]
