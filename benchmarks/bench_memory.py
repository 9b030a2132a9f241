"""Memory of reverse mode (benchmark case d).

grad of a 1,000-op chain on 1e5-element float64 arrays.  The track_*
benchmarks count memory in "arrays": multiples of one 1e5-element float64
array (800 kB), measured with tracemalloc (NumPy reports its buffers to it).
The peakmem_* benchmarks are asv's whole-process peak RSS, for reference.
"""
import dualrev
import dualrev.numpy as dnp
import numpy as np

from ._common import MEM_OPS, MEM_SIZE, chain_input, make_chain, traced_memory

_ARRAY_BYTES = MEM_SIZE * 8


def _grad():
    return dualrev.grad(make_chain(dnp.sin, dnp.tanh, dnp.sum, MEM_OPS))


class GradMemory:
    """Peak and retained memory of dualrev.grad beside NumPy forward."""

    timeout = 300

    def setup(self):
        self.x = chain_input(MEM_SIZE)
        self.f_np = make_chain(np.sin, np.tanh, np.sum, MEM_OPS)
        self.grad = _grad()

    def peakmem_numpy_forward(self):
        self.f_np(self.x)

    def peakmem_dualrev_grad(self):
        self.grad(self.x)

    def track_numpy_forward_peak_arrays(self):
        return traced_memory(self.f_np, self.x)["peak"] / _ARRAY_BYTES

    def track_dualrev_grad_peak_arrays(self):
        return traced_memory(self.grad, self.x)["peak"] / _ARRAY_BYTES

    def track_dualrev_grad_retained_arrays(self):
        """Alive after grad returns, the gradient (1 array) included: the tape must be gone."""
        return traced_memory(self.grad, self.x)["after"] / _ARRAY_BYTES

    track_numpy_forward_peak_arrays.unit = "arrays"
    track_dualrev_grad_peak_arrays.unit = "arrays"
    track_dualrev_grad_retained_arrays.unit = "arrays"
