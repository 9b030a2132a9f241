"""Reverse mode: grad of elementwise chains (benchmark cases a and b).

Each class also times plain NumPy running the same function forward, so the
ratio dualrev/NumPy can be read off one asv run.
"""
import dualrev
import dualrev.numpy as dnp
import numpy as np

from ._common import CHAIN_OPS, CHAIN_SIZE, LONG_OPS, chain_input, make_chain


class GradChain:
    """Case a: grad of a 200-op chain on 16-element arrays, ending in a sum."""

    def setup(self):
        self.x = chain_input(CHAIN_SIZE)
        self.f_np = make_chain(np.sin, np.tanh, np.sum, CHAIN_OPS)
        f_dnp = make_chain(dnp.sin, dnp.tanh, dnp.sum, CHAIN_OPS)
        self.grad = dualrev.grad(f_dnp)
        self.value_and_grad = dualrev.value_and_grad(f_dnp)

    def time_numpy_forward(self):
        self.f_np(self.x)

    def time_dualrev_grad(self):
        self.grad(self.x)

    def time_dualrev_value_and_grad(self):
        self.value_and_grad(self.x)


class GradLongChain:
    """Case b: grad of a 100,000-op sequential chain on a 0-d array."""

    number = 1
    repeat = (1, 3, 30.0)
    warmup_time = 0.0
    timeout = 300

    def setup(self):
        self.x = chain_input(0)
        self.f_np = make_chain(np.sin, np.tanh, np.sum, LONG_OPS)
        self.grad = dualrev.grad(make_chain(dnp.sin, dnp.tanh, dnp.sum, LONG_OPS))

    def time_numpy_forward(self):
        self.f_np(self.x)

    def time_dualrev_grad(self):
        self.grad(self.x)
