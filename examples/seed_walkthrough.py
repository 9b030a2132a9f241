"""The gradient-computation walkthrough, step by step, with `torch` replaced by `dualrev`.

Each line prints what dualrev computes next to what the walkthrough says it
should be; the script exits with an error if any value disagrees.

    python examples/seed_walkthrough.py
"""
import sys

import numpy as np

import dualrev
import dualrev.numpy as dnp

failures = []


def show(label, got, expected, ok=None):
    ok = (str(got) == str(expected)) if ok is None else ok
    print(f"  {label:<40} {str(got):<28} expected {expected}{'' if ok else '   <-- MISMATCH'}")
    if not ok:
        failures.append(label)


def step(title):
    print(f"\n{title}")


step("1. Derivatives of scalar functions")
x = dualrev.tensor(3.0, requires_grad=True)
y = x ** 2
y.backward()
show("x.grad", x.grad, "tensor(6.)")

step("2. Gradients of multivariable functions")
x = dualrev.tensor(2.0, requires_grad=True)
y = dualrev.tensor(4.0, requires_grad=True)
L = x ** 2 + 3 * y
L.backward()
show("x.grad", x.grad, "tensor(4.)")
show("y.grad", y.grad, "tensor(3.)")

step("3. Gradients with respect to tensors")
W = dualrev.randn(3, 4, requires_grad=True)
L = (W ** 2).sum()
L.backward()
show("W.shape", W.shape, "dualrev.Size([3, 4])")
show("W.grad.shape", W.grad.shape, "dualrev.Size([3, 4])")
show("W.grad == 2 * W (all entries)", bool((W.grad == 2 * W).all()), True)

step("4. Why the loss must usually be scalar")
x = dualrev.tensor(2.0, requires_grad=True)
loss = x ** 2
loss.backward()
show("scalar loss: x.grad", x.grad, "tensor(4.)")
x = dualrev.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x ** 2
try:
    y.backward()
    show("y.backward() on a vector raises", "no error", "RuntimeError", ok=False)
except RuntimeError as e:
    show("y.backward() on a vector raises", "RuntimeError", "RuntimeError")
    print(f"    ({str(e)[:76]}...)")
loss = y.sum()
loss.backward()
show("y.sum().backward(): x.grad", x.grad, "tensor([2., 4., 6.])")
x = dualrev.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x ** 2
y.backward(dualrev.tensor([1.0, 1.0, 1.0]))
show("y.backward(ones): x.grad", x.grad, "tensor([2., 4., 6.])")

step("5. The chain rule")
x = dualrev.tensor(3.0, requires_grad=True)
y = x + 1
z = y ** 2
z.backward()
show("x.grad", x.grad, "tensor(8.)")

step("   Local and upstream gradients")
x = dualrev.tensor(2.0, requires_grad=True)
y = dualrev.tensor(3.0, requires_grad=True)
a = x + y
z = a ** 2
z.backward()
show("x.grad", x.grad, "tensor(10.)")
show("y.grad", y.grad, "tensor(10.)")

step("6. Gradients of linear layers")
B, d, h = 5, 3, 4
layer = dualrev.nn.Linear(d, h)
X = dualrev.randn(B, d)
Y = layer(X)
L = Y.sum()
L.backward()
show("layer.weight.grad.shape", layer.weight.grad.shape, "dualrev.Size([4, 3])")
show("layer.bias.grad.shape", layer.bias.grad.shape, "dualrev.Size([4])")
show("bias grad = batch size", layer.bias.grad, "tensor([5., 5., 5., 5.])")
col_sums = X.sum(dim=0)
show("weight grad rows = column sums of X",
     bool(dualrev.allclose(layer.weight.grad, col_sums.expand(h, d))), True)

step("7. Gradient accumulation")
x = dualrev.tensor(2.0, requires_grad=True)
y = x ** 2
y.backward()
show("after y = x**2", x.grad, "tensor(4.)")
z = 3 * x
z.backward()
show("after z = 3x (accumulated)", x.grad, "tensor(7.)")

step("8. Gradients and optimizers")
model = dualrev.nn.Linear(3, 1)
optimizer = dualrev.optim.SGD(model.parameters(), lr=0.01)
X = dualrev.randn(8, 3)
y = dualrev.randn(8, 1)
before = model.weight.detach().clone()
pred = model(X)
loss = ((pred - y) ** 2).mean()
optimizer.zero_grad()
loss.backward()
optimizer.step()
show("weight moved by -lr * grad",
     bool(dualrev.allclose(model.weight, before - 0.01 * model.weight.grad)), True)
# A 200-step loop on synthetic linear data reaches the least-squares optimum.
dualrev.manual_seed(0)
X = dualrev.randn(64, 3)
y = X @ dualrev.tensor([[1.5], [-2.0], [0.5]]) + 0.3 + 0.1 * dualrev.randn(64, 1)
model = dualrev.nn.Linear(3, 1)
optimizer = dualrev.optim.SGD(model.parameters(), lr=0.1)
loss_fn = dualrev.nn.MSELoss()
for _ in range(200):
    pred = model(X)
    loss = loss_fn(pred, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
A = np.concatenate([X.numpy(), np.ones((64, 1), dtype=X.dtype)], axis=1).astype(float)
coef = np.linalg.lstsq(A, y.numpy().astype(float), rcond=None)[0]
best = float(np.mean((A @ coef - y.numpy()) ** 2))
show("loss after 200 SGD steps vs optimum", f"{loss.item():.5f}", f"{best:.5f}",
     ok=abs(loss.item() - best) <= 1e-4 + 1e-3 * best)

step("9. Disabling gradients")
model.eval()
with dualrev.no_grad():
    pred = model(X)
show("no_grad: pred.requires_grad", pred.requires_grad, False)
with dualrev.inference_mode():
    pred = model(X)
show("inference_mode: pred.requires_grad", pred.requires_grad, False)

step("10. Gradient checking")


def f(x):
    return x ** 2


x = dualrev.tensor(3.0, requires_grad=True)
y = f(x)
y.backward()
autograd_grad = x.grad.item()
eps = 1e-4
finite_diff_grad = (f(dualrev.tensor(3.0 + eps)) - f(dualrev.tensor(3.0 - eps))) / (2 * eps)
show("autograd_grad", autograd_grad, 6.0)
show("finite_diff_grad.item() (float32)", finite_diff_grad.item(), "about 6 (PyTorch: 5.993843078613281)",
     ok=abs(finite_diff_grad.item() - 6.0) < 1e-2)
x64 = dualrev.tensor([0.5, -1.5, 2.0], dtype=dualrev.float64, requires_grad=True)
show("autograd.gradcheck(sin * x)",
     dualrev.autograd.gradcheck(lambda t: (t.sin() * t).sum(), (x64,), eps=1e-6, atol=1e-5,
                                rtol=1e-3), True)
show("autograd.gradgradcheck(sin * x)",
     dualrev.autograd.gradgradcheck(lambda t: (t.sin() * t).sum(), (x64,)), True)

step("11. Common gradient problems")
x = dualrev.tensor(2.0)
y = x ** 2
try:
    y.backward()
    show("backward without requires_grad raises", "no error", "RuntimeError", ok=False)
except RuntimeError as e:
    show("backward without requires_grad raises", "RuntimeError", "RuntimeError")
    print(f"    ({str(e)[:76]}...)")
x = dualrev.randn(3, requires_grad=True)
y = x ** 2
try:
    x.add_(1.0)
    show("x.add_ on a leaf that requires grad", "no error", "RuntimeError", ok=False)
except RuntimeError as e:
    show("x.add_ on a leaf that requires grad", "RuntimeError", "RuntimeError")
    print(f"    ({str(e)[:76]}...)")
x = dualrev.randn(3, requires_grad=True)
h = x * 2
y = h ** 2                                  # saves h for its backward
h.add_(1.0)
try:
    y.sum().backward()
    show("in-place change of a saved value", "no error", "RuntimeError", ok=False)
except RuntimeError as e:
    show("in-place change of a saved value", "RuntimeError at backward()", "RuntimeError at backward()")
    print(f"    ({str(e)[:76]}...)")

step("The same gradient from the functional API")
w = dualrev.tensor([1.0, 2.0, 3.0], requires_grad=True)
(w.sin() * w).sum().backward()
g = dualrev.grad(lambda v: dnp.sum(dnp.sin(v) * v))(w.detach().numpy())
show("Tensor.backward() == dualrev.grad", bool(dualrev.allclose(w.grad, g)), True)

print()
if failures:
    print(f"{len(failures)} step(s) disagree: {', '.join(failures)}")
    sys.exit(1)
print("Every step matches the walkthrough.")
