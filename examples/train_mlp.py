"""Train a small MLP on two interleaved spirals, the PyTorch way, with dualrev.

    python examples/train_mlp.py            # a few seconds
    python examples/train_mlp.py --epochs 5 # a shorter run

One progress line per epoch; exits with an error if the final test accuracy
is not above 95 %.
"""
import argparse
import sys
import time

import numpy as np

import dualrev
import dualrev.nn as nn
import dualrev.nn.functional as F


def spirals(n_per_class, noise, rng):
    """Two spirals of points in the plane, one per class."""
    t = np.sqrt(rng.uniform(0, 1, n_per_class)) * 3 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi)
    X = np.concatenate([arm, -arm]) + noise * rng.standard_normal((2 * n_per_class, 2))
    y = np.concatenate([np.zeros(n_per_class, np.int64), np.ones(n_per_class, np.int64)])
    return X.astype(np.float32), y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    dualrev.manual_seed(args.seed)
    X_train, y_train = spirals(1000, 0.02, rng)
    X_test, y_test = spirals(500, 0.02, rng)
    X_test, y_test = dualrev.tensor(X_test), dualrev.tensor(y_test)

    model = nn.Sequential(nn.Linear(2, 64), nn.Tanh(),
                          nn.Linear(64, 64), nn.Tanh(),
                          nn.Linear(64, 2))
    optimizer = dualrev.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        order = rng.permutation(len(X_train))
        total = 0.0
        for i in range(0, len(order), args.batch):
            idx = order[i:i + args.batch]
            xb, yb = dualrev.tensor(X_train[idx]), dualrev.tensor(y_train[idx])
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        model.eval()
        with dualrev.no_grad():
            logits = model(X_test)
            test_loss = F.cross_entropy(logits, y_test).item()
            accuracy = (logits.argmax(dim=1) == y_test).float().mean().item()
        print(f"epoch {epoch:3d}  train loss {total / len(X_train):.4f}  "
              f"test loss {test_loss:.4f}  test accuracy {accuracy:6.1%}  "
              f"({time.perf_counter() - start:5.1f} s)")

    if accuracy <= 0.95:
        print(f"final test accuracy {accuracy:.1%} is not above 95%")
        sys.exit(1)
    print(f"final test accuracy {accuracy:.1%}")


if __name__ == "__main__":
    main()
