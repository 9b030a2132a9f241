"""dualrev in one page: every derivative printed here is checked as it is printed.

Run:  python examples/quickstart.py
"""
import numpy as np

import dualrev
import dualrev.numpy as dnp
from dualrev.testing import check_grads


def check(label, got, expected, tol=1e-9):
    ok = np.allclose(got, expected, rtol=tol, atol=tol)
    shown = np.round(got, 6) if np.size(got) <= 9 else f"array of shape {np.shape(got)}"
    print(f"{'ok ' if ok else 'BAD'} {label:<46} {shown}")
    if not ok:
        raise SystemExit(f"{label}: got {got}, expected {expected}")


def loss(w, x, y):
    """Least squares with a tanh layer."""
    return dnp.mean((dnp.tanh(x @ w) - y) ** 2)


rng = np.random.default_rng(0)
x, y, w = rng.normal(size=(8, 3)), rng.normal(size=8), rng.normal(size=3)

# Reverse mode (a tape): the gradient of a scalar loss.
g = dualrev.grad(loss)(w, x, y)
t = np.tanh(x @ w)
check("grad of a tanh least-squares loss", g, x.T @ (2 * (t - y) * (1 - t ** 2)) / len(y))

# Forward mode (dual numbers): a Jacobian-vector product.
v = np.array([1.0, 0.0, -1.0])
_, jv = dualrev.jvp(lambda w: loss(w, x, y), (w,), (v,))
check("jvp along v equals <grad, v>", jv, g @ v)

# Dual numbers by hand.
d = dualrev.dual(2.0, 1.0)
check("dual: d/dx sin(x) at 2 from sin(dual(2, 1))", dnp.sin(d).tangent, np.cos(2.0))

# Higher order, any nesting: forward over reverse gives the Hessian.
H = dualrev.hessian(loss)(w, x, y)
eps = 1e-6
H_fd = np.stack([(dualrev.grad(loss)(w + eps * e, x, y) - dualrev.grad(loss)(w - eps * e, x, y))
                 / (2 * eps) for e in np.eye(3)])
check("hessian vs differences of gradients", H, H_fd, tol=1e-6)
check("4th derivative of sin at 0.3",
      dualrev.grad(dualrev.grad(dualrev.grad(dualrev.grad(dnp.sin))))(0.3), np.sin(0.3))

# No perturbation confusion: the inner derivative does not leak into the outer one.
check("d/dx [x * d/dy (x + y)] at 5",
      dualrev.grad(lambda x: x * dualrev.grad(lambda y: x + y)(x))(5.0), 1.0)

# Vectorization: vmap, as jax.vmap.  Per-example gradients (params shared, data batched):
per_example = dualrev.vmap(dualrev.grad(lambda w, xi, yi: (dnp.tanh(xi @ w) - yi) ** 2),
                           in_axes=(None, 0, 0))(w, x, y)
check("vmap(grad): per-example gradients average to grad", per_example.mean(axis=0), g)
# jacfwd pushes the whole basis through as one batch (one pass, not one per input).
J = dualrev.jacfwd(lambda w: dnp.tanh(x @ w))(w)
check("batched jacfwd of tanh(x @ w)", J, (1 - t ** 2)[:, None] * x)

# Sparse Jacobians by coloring: a tridiagonal Jacobian takes 3 batched directions, whatever n.
def stencil(u):
    return dnp.sin(u) + dnp.concatenate([u[1:2] - 2 * u[:1], u[:-2] - 2 * u[1:-1] + u[2:],
                                         u[-2:-1] - 2 * u[-1:]])


u = np.linspace(0.0, 1.0, 50)
sparse_jac = dualrev.sparse_jacobian(stencil)
check("sparse_jacobian equals the dense jacfwd", sparse_jac(u), dualrev.jacfwd(stencil)(u))
print(f"    ({sparse_jac.colors} colors for a 50 x 50 Jacobian)")

# The tape is a public, printable object.
print(dualrev.make_tape(lambda w: loss(w, x, y))(w))

# Every derivative above, checked against finite differences to second order.
check_grads(loss, (w, x, y), order=2)
print("ok  check_grads(loss, order=2) in forward and reverse mode")
