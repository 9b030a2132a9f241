"""dualrev.numpy on plain NumPy arrays, nothing traced (benchmark case c).

The dnp call should cost little more than the bare NumPy call it wraps.
The inputs are module globals and the classes have no setup(): with a
setup hook this asv runner re-runs it between timed calls and times each
call alone, which drowns a microsecond call in timer overhead.
"""
import dualrev.numpy as dnp
import numpy as np

from ._common import CHAIN_SIZE, chain_input

_X = chain_input(CHAIN_SIZE)
_Y = _X + 1.0


class UntracedNumpy:
    """The bare NumPy calls, on 16-element float64 arrays."""

    def time_sin(self):
        np.sin(_X)

    def time_add(self):
        np.add(_X, _Y)

    def time_sum(self):
        np.sum(_X)


class UntracedDnp:
    """The same calls through dualrev.numpy."""

    def time_sin(self):
        dnp.sin(_X)

    def time_add(self):
        dnp.add(_X, _Y)

    def time_sum(self):
        dnp.sum(_X)
