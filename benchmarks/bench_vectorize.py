"""Batched derivatives: vmap, jacfwd/jacrev/hessian in one batched pass, per-example
gradients and sparse Jacobians (benchmark cases h-k; workloads from vectorize.py).

Each class times plain NumPy running the same function forward, so the ratio
dualrev/NumPy can be read off one asv run.  The sparse benchmarks are skipped
(NotImplementedError in setup) while dualrev has no sparse_jacobian.
"""
import dualrev
import dualrev.numpy as dnp
import numpy as np

from ._common import traced_memory
from .compare import make_mlp_loss, numpy_mlp_forward
from .vectorize import (SPARSE_FORMAT, SPARSE_SIZE, make_example_loss, make_rosenbrock,
                        make_stencil, make_tanh_energy, make_tanh_map, per_example_problem,
                        sparse_api, sparse_input, sparse_setup_info, tanh_problem)


class VmapTanhMap:
    """vmap of x -> tanh(A @ x), n = 100, over a batch of 128 inputs, beside NumPy's X @ A.T."""

    def setup(self):
        self.A, _ = tanh_problem(100)
        self.X = np.random.default_rng(0).standard_normal((128, 100))
        self.f = dualrev.vmap(make_tanh_map(dnp.tanh, self.A))

    def time_numpy_batched_forward(self):
        np.tanh(self.X @ self.A.T)

    def time_dualrev_vmap(self):
        self.f(self.X)


class Jacobians:
    """Case h: jacfwd and jacrev of tanh(A @ x), the whole basis in one batch."""

    params = [100, 1000]
    param_names = ["n"]

    def setup(self, n):
        self.A, self.x = tanh_problem(n)
        self.f_np = make_tanh_map(np.tanh, self.A)
        f = make_tanh_map(dnp.tanh, self.A)
        self.jacfwd, self.jacrev = dualrev.jacfwd(f), dualrev.jacrev(f)
        self.jacfwd_chunked = dualrev.jacfwd(f, chunk_size=max(1, n // 10))

    def time_numpy_forward(self, n):
        self.f_np(self.x)

    def time_dualrev_jacfwd(self, n):
        self.jacfwd(self.x)

    def time_dualrev_jacrev(self, n):
        self.jacrev(self.x)

    def time_dualrev_jacfwd_chunk_tenth(self, n):
        """chunk_size = n / 10: ten batched passes."""
        self.jacfwd_chunked(self.x)


class Hessian:
    """Case i: hessian of sum(tanh(A @ x) ** 2), n = 100."""

    def setup(self):
        self.A, self.x = tanh_problem(100)
        self.f_np = make_tanh_energy(np.tanh, np.sum, self.A)
        self.hessian = dualrev.hessian(make_tanh_energy(dnp.tanh, dnp.sum, self.A))

    def time_numpy_forward(self):
        self.f_np(self.x)

    def time_dualrev_hessian(self):
        self.hessian(self.x)


class PerExampleGrads:
    """Case j: vmap(grad(loss), in_axes=(None, 0, 0)) of case f's MLP, batch 128, beside
    grad of the batch's mean loss (target: ≤ 3× it) and NumPy's forward pass + loss."""

    timeout = 120

    def setup(self):
        self.X, self.y, self.onehot, self.params = per_example_problem()
        self.grad = dualrev.grad(make_mlp_loss(dnp, dualrev.stop_gradient))
        self.per_example = dualrev.vmap(
            dualrev.grad(make_example_loss(dnp, dualrev.stop_gradient)), in_axes=(None, 0, 0))

    def time_numpy_forward(self):
        numpy_mlp_forward(self.params, self.X, self.y)

    def time_dualrev_grad(self):
        self.grad(self.params, self.X, self.y)

    def time_dualrev_per_example_grads(self):
        self.per_example(self.params, self.X, self.onehot)


def _sparse_or_skip():
    try:
        return sparse_api(dualrev)
    except Exception as e:
        raise NotImplementedError(f"dualrev has no sparse_jacobian yet: {e}") from None


class SparseJacobian:
    """Case k: sparse_jacobian of the tridiagonal stencil and sparse_hessian of the Rosenbrock
    chain, n = 100,000, later calls (detection and coloring cached by the first)."""

    timeout = 300

    def setup(self):
        sparse_jacobian, sparse_hessian = _sparse_or_skip()
        self.x = sparse_input(SPARSE_SIZE)
        self.stencil_np = make_stencil(np.sin, np.concatenate)
        self.rosen_np = make_rosenbrock(np.sum)
        self.stencil = make_stencil(dnp.sin, dnp.concatenate)
        self.rosen = make_rosenbrock(dnp.sum)
        self.make_jac = lambda: sparse_jacobian(self.stencil, format=SPARSE_FORMAT)
        self.make_hess = lambda: sparse_hessian(self.rosen, format=SPARSE_FORMAT)
        self.jac, self.hess = self.make_jac(), self.make_hess()
        self.jac(self.x)
        self.hess(self.x)

    def time_numpy_forward_stencil(self):
        self.stencil_np(self.x)

    def time_numpy_forward_rosenbrock(self):
        self.rosen_np(self.x)

    def time_dualrev_sparse_jacobian(self):
        self.jac(self.x)

    def time_dualrev_sparse_hessian(self):
        self.hess(self.x)

    def time_dualrev_sparse_jacobian_first_call(self):
        """Detection, coloring and the first evaluation."""
        self.make_jac()(self.x)

    def track_sparse_jacobian_colors(self):
        colors = sparse_setup_info(self.jac)[1]
        return float("nan") if colors is None else colors

    track_sparse_jacobian_colors.unit = "colors"

    def track_sparse_jacobian_peak_arrays(self):
        """Peak memory of a later call (tracemalloc), in arrays of n float64."""
        return traced_memory(self.jac, self.x)["peak"] / self.x.nbytes

    track_sparse_jacobian_peak_arrays.unit = "arrays"

    def track_sparse_hessian_peak_arrays(self):
        return traced_memory(self.hess, self.x)["peak"] / self.x.nbytes

    track_sparse_hessian_peak_arrays.unit = "arrays"
