"""One training step of a 784-256-256-10 tanh MLP, batch 128, float64 (benchmark case f).

The workload (data, initial weights, the NumPy forward pass and the
hand-written NumPy step, the dualrev steps) is benchmarks/compare.py's, so
both harnesses time the same code.  Plain NumPy's forward pass plus loss is
the reference: the dualrev target is a step in ≤ 2.5× that time, read off
one asv run as time_dualrev_step / time_numpy_forward.  time_numpy_step is
what the arithmetic of a step costs, written by hand.

Each step updates the weights in place; setup() starts every repeat from
the same seeded weights.
"""
import dualrev
import dualrev.numpy as dnp

from .compare import (_copy_params, dualrev_functional_mlp, dualrev_mlp, mlp_problem,
                      numpy_mlp_forward, numpy_mlp_step)


class MLPStep:
    """Case f: forward, backward and SGD update (lr 0.01) of the MLP."""

    def setup(self):
        self.X, self.y, self.params = mlp_problem()
        self.step_params = _copy_params(self.params)      # numpy_mlp_step updates them
        imperative = dualrev_mlp(dualrev, self.X, self.y, self.params)
        self.step, self.step_args = imperative.fn, imperative.args
        functional = dualrev_functional_mlp(dualrev, dnp, self.X, self.y, self.params)
        self.fstep, self.fstep_args = functional.fn, functional.args

    def time_numpy_forward(self):
        """The reference: forward pass and mean cross-entropy in plain NumPy."""
        numpy_mlp_forward(self.params, self.X, self.y)

    def time_numpy_step(self):
        """Forward, backward (no gradient for X) and update, by hand in NumPy."""
        numpy_mlp_step(self.step_params, self.X, self.y)

    def time_dualrev_step(self):
        """nn.Sequential + F.cross_entropy + backward() + optim.SGD.step()."""
        self.step(*self.step_args)

    def time_dualrev_functional_step(self):
        """dualrev.value_and_grad of a dualrev.numpy loss, the update in NumPy."""
        self.fstep(*self.fstep_args)
