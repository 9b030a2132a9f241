"""Forward mode: jvp of the 200-op chain (benchmark case e)."""
import dualrev
import dualrev.numpy as dnp
import numpy as np

from ._common import CHAIN_OPS, CHAIN_SIZE, chain_input, make_chain


class JvpChain:
    """dualrev.jvp of the 200-op chain on 16-element arrays, beside NumPy forward."""

    def setup(self):
        self.x = chain_input(CHAIN_SIZE)
        self.v = np.ones_like(self.x)
        self.f_np = make_chain(np.sin, np.tanh, np.sum, CHAIN_OPS)
        self.f_dnp = make_chain(dnp.sin, dnp.tanh, dnp.sum, CHAIN_OPS)

    def time_numpy_forward(self):
        self.f_np(self.x)

    def time_dualrev_jvp(self):
        dualrev.jvp(self.f_dnp, (self.x,), (self.v,))
