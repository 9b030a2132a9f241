"""CUDA devices, as ``torch.cuda``: tensors on ``"cuda"`` hold CuPy arrays.

    >>> device = "cuda" if dualrev.cuda.is_available() else "cpu"
    >>> x = dualrev.randn(3, device=device)

``backend`` is the one object that knows the device's arrays: their array
module, how to move a NumPy array to a GPU and back, and how to recognise
them.  Without CuPy, or without a GPU, ``is_available()`` is False and asking
for a ``"cuda"`` tensor raises ``CudaUnavailableError``.
"""


class CudaUnavailableError(AssertionError, RuntimeError):
    """A ``"cuda"`` device was asked for where CuPy or a GPU is missing (an
    AssertionError, as PyTorch's, and a RuntimeError)."""


class CuPyBackend:
    """The arrays of the ``"cuda"`` device type: CuPy's.

    ``count()`` (GPUs seen; 0, with ``reason`` set, when CuPy or a GPU is
    missing), ``owns(x)``, ``index(x)`` (its GPU), ``to_device(x, index)``
    (a NumPy array, or another GPU's array, copied to GPU ``index``),
    ``to_host(x)`` (a NumPy copy), ``current()``, ``synchronize(index)`` and
    ``xp`` (the array module).
    """

    name = "CuPy"

    def __init__(self):
        self._count = None
        self.reason = None
        self._cupy = None

    @property
    def xp(self):
        if self._cupy is None:
            import cupy
            self._cupy = cupy
        return self._cupy

    def count(self):
        if self._count is None:
            try:
                n = int(self.xp.cuda.runtime.getDeviceCount())
                if n == 0:
                    self.reason = "CuPy sees no GPU"
            except ImportError as e:
                n, self.reason = 0, (f"CuPy is not installed ({e}); install it with "
                                     f"pip install 'dualrev[cuda]'")
            except Exception as e:     # no driver, no device, a broken CUDA install
                n, self.reason = 0, f"CuPy sees no GPU ({type(e).__name__}: {e})"
            self._count = n
        return self._count

    def owns(self, x):
        return x.__class__.__module__.split(".", 1)[0] == "cupy"

    def index(self, x):
        return x.device.id

    def current(self):
        return int(self.xp.cuda.runtime.getDevice())

    def to_device(self, x, index):
        cp = self.xp
        with cp.cuda.Device(index):
            if isinstance(x, cp.ndarray):
                return x.copy()          # copies to the current device
            return cp.asarray(x)

    def to_host(self, x):
        return x.get()

    def synchronize(self, index):
        self.xp.cuda.Device(index).synchronize()


backend = CuPyBackend()


def device_count():
    """How many GPUs the CUDA backend sees (0 without CuPy or a GPU)."""
    try:
        return int(backend.count())
    except Exception:
        return 0


def is_available():
    """Whether ``"cuda"`` tensors can be made: CuPy imports and sees a GPU.

        >>> dualrev.cuda.is_available()
        False
    """
    return device_count() > 0


def checked_count():
    """device_count(), raising CudaUnavailableError (with the reason) when it is 0."""
    n = device_count()
    if n == 0:
        reason = getattr(backend, "reason", None) or f"{backend.name} sees no GPU"
        raise CudaUnavailableError(
            f"dualrev found no CUDA GPU: {reason}. Check dualrev.cuda.is_available() "
            f"first, or use device='cpu'")
    return n


def current_device():
    """The index of the GPU that ``"cuda"`` without an index means."""
    checked_count()
    current = getattr(backend, "current", None)
    return 0 if current is None else int(current())


def synchronize(device=None):
    """Wait for the work queued on a GPU (the current one by default) to finish."""
    from .devices import resolve
    d = resolve("cuda" if device is None else device)
    sync = getattr(backend, "synchronize", None)
    if sync is not None:
        sync(d.index)


def get_device_name(device=None):
    """The GPU's name, as CUDA reports it."""
    from .devices import resolve
    d = resolve("cuda" if device is None else device)
    props = backend.xp.cuda.runtime.getDeviceProperties(d.index)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


def manual_seed(seed):
    """Seed the generator of random tensors (dualrev draws them on the host, for every
    device, from the generator ``dualrev.manual_seed`` seeds)."""
    from .ops import manual_seed as seed_all
    seed_all(seed)


manual_seed_all = manual_seed

__all__ = ["CudaUnavailableError", "backend", "current_device", "device_count",
           "get_device_name", "is_available", "manual_seed", "manual_seed_all", "synchronize"]
