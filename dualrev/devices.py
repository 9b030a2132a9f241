"""Devices, as ``torch.device``: where a tensor's values live.

A tensor on ``"cpu"`` holds a NumPy array; a tensor on ``"cuda"`` holds an
array of the CUDA backend (``dualrev.cuda.backend``: CuPy's arrays), and the
primitives compute on it in that library.

    >>> dualrev.device("cuda:0")
    device(type='cuda', index=0)
    >>> dualrev.device("cpu").type
    'cpu'
"""
import re

import numpy as np

from . import backend as _backend

TYPES = ("cpu", "cuda")
_SPEC = re.compile(r"([a-zA-Z_]+)(?::([1-9][0-9]*|0))?")


class device:
    """A device: its ``type`` (``'cpu'`` or ``'cuda'``) and ``index`` (None: unspecified).

    ``device("cuda:1")``, ``device("cuda", 1)`` and ``device(1)`` (a CUDA
    ordinal) are one device.  As ``torch.device``, a device equals only
    devices, not strings: compare ``t.device.type == "cuda"``.

        >>> dualrev.device("cuda", 0)
        device(type='cuda', index=0)
        >>> str(dualrev.device("cuda:0"))
        'cuda:0'
    """

    __slots__ = ("_type", "_index")

    def __new__(cls, type=None, index=None):
        if isinstance(type, device):
            if index is not None:
                raise TypeError("device(): no index may be passed with a device")
            return type
        if isinstance(type, (int, np.integer)) and not isinstance(type, bool) and index is None:
            type, index = "cuda", int(type)
        if not isinstance(type, str):
            raise TypeError(f"device() takes a device, a string such as 'cuda:0' or an int "
                            f"(a CUDA ordinal), got {type.__class__.__name__}")
        if index is not None:
            if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
                raise TypeError(f"device(): argument 'index' must be int, not "
                                f"{index.__class__.__name__}")
            if ":" in type:
                raise RuntimeError(f"type (string) must not include an index because index was "
                                   f"passed explicitly: {type}")
            if index < 0:
                raise RuntimeError("Device index must not be negative")
        if not type:
            raise RuntimeError("Device string must not be empty")
        m = _SPEC.fullmatch(type)
        if m is None:
            raise RuntimeError(f"Invalid device string: '{type}'")
        kind, idx = m.group(1), m.group(2)
        if kind not in TYPES:
            raise RuntimeError(f"Expected one of {', '.join(TYPES)} device type at start of "
                               f"device string: {type}")
        self = object.__new__(cls)
        self._type = kind
        self._index = int(idx) if idx is not None else None if index is None else int(index)
        return self

    @property
    def type(self):
        return self._type

    @property
    def index(self):
        return self._index

    def __eq__(self, other):
        if other.__class__ is not device:
            return NotImplemented
        return self._type == other._type and self._index == other._index

    def __hash__(self):
        return hash((self._type, self._index))

    def __repr__(self):
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __reduce__(self):
        return (device, (self._type, self._index))


CPU = device("cpu")
_CUDA = {}


def cuda_device(index):
    """``device('cuda', index)``, one object per index."""
    d = _CUDA.get(index)
    if d is None:
        d = _CUDA[index] = device("cuda", index)
    return d


def _cuda():
    from . import cuda
    return cuda


# ============================================================================ arrays

def of(x):
    """The device of a raw array (a NumPy array or a Python value: the CPU)."""
    if x.__class__ is np.ndarray or not _backend.is_foreign(x):
        return CPU
    b = _cuda().backend
    if b.owns(x):
        return cuda_device(b.index(x))
    return CPU


def on_cuda(x):
    """Whether raw array x is an array of the CUDA backend."""
    return x.__class__ is not np.ndarray and _backend.is_foreign(x) and _cuda().backend.owns(x)


def resolve(dev):
    """The device a ``device=`` argument names (None stays None), with ``'cuda'``
    given the current CUDA device's index.  CUDA is checked to be available."""
    if dev is None:
        return None
    if dev.__class__ is str and dev == "cpu":
        return CPU
    if dev.__class__ is not device:
        dev = device(dev)
    if dev._type == "cpu":
        return CPU
    cuda = _cuda()
    n = cuda.checked_count()
    index = cuda.current_device() if dev._index is None else dev._index
    if index >= n:
        raise RuntimeError(f"CUDA error: invalid device ordinal: {dev} (the CUDA backend, "
                           f"{cuda.backend.name}, sees {n} GPU{'s' if n != 1 else ''})")
    return cuda_device(index)


def to(x, dst):
    """Raw array x moved (copied) to device dst (resolved); x itself if it is there."""
    src = of(x)
    if src == dst:
        return x
    b = _cuda().backend
    if dst._type == "cpu":
        return b.to_host(x)
    if src._type == "cpu":
        return b.to_device(np.asarray(x), dst._index)
    return b.to_device(x, dst._index)


def host(x):
    """Raw array x as a NumPy array (copied from a device)."""
    if x.__class__ is np.ndarray or not _backend.is_foreign(x):
        return np.asarray(x)
    b = _cuda().backend
    if b.owns(x):
        return b.to_host(x)
    return _backend.to_numpy(x)


def like(array, x):
    """NumPy array ``array`` placed on the device of raw array x."""
    if x.__class__ is np.ndarray or not _backend.is_foreign(x):
        return array
    b = _cuda().backend
    if b.owns(x):
        return b.to_device(array, b.index(x))
    return _backend.asarray(array, x)


def place(array, dev):
    """NumPy array ``array`` on resolved device dev (None or the CPU: itself)."""
    if dev is None or dev._type == "cpu":
        return array
    return _cuda().backend.to_device(array, dev._index)


def to_args(args, dev, dtype):
    """``(device, dtype)`` from the positional arguments of ``Tensor.to`` / ``Module.to``
    (a device, an index, a dtype, or a tensor standing for its device and dtype) over the
    keyword ones ``dev`` and ``dtype``."""
    from .tensor import Tensor
    for a in args:
        if isinstance(a, Tensor):
            dev, dtype = a.device, a.dtype
        elif isinstance(a, (str, device)) or (
                isinstance(a, (int, np.integer)) and not isinstance(a, bool)):
            dev = a
        elif a is not None:
            dtype = a
    return dev, dtype


def mismatch(devices):
    """The error of an operation on tensors of several devices, as PyTorch words it."""
    devs = list(dict.fromkeys(devices))
    devs.sort(key=lambda d: d._type == "cpu")
    return RuntimeError(f"Expected all tensors to be on the same device, but found at least "
                        f"two devices, {devs[0]} and {devs[1]}!")


__all__ = ["CPU", "device", "of", "resolve", "to", "host", "like", "place"]
