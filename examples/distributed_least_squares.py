"""Least squares by gradient descent on a Dask array, on a Dask cluster.

The data, X (rows × 10) and y = X w_true + noise, live in chunks of rows on the
cluster's workers; the parameters w are 10 floats on the client.  Each step asks
dualrev for the loss and its gradient: a Dask graph (nothing runs yet), computed on
the cluster chunk by chunk; only the loss and the 10 gradient entries travel back.

    python examples/distributed_least_squares.py                     # 2e7 × 10, LocalCluster
    python examples/distributed_least_squares.py --rows 200000 --steps 3    # a quick run

By default a LocalCluster of two worker processes is started here.  To use a
cluster that is already running (``dask scheduler`` on one machine, ``dask worker
tcp://host:8786`` on each of the others), give its scheduler's address:

    python examples/distributed_least_squares.py --scheduler tcp://host:8786

The graphs dualrev builds here are made of Dask's and NumPy's own functions: the
workers need Dask and NumPy, not dualrev.  ``--workers`` sets the LocalCluster's
size and is ignored with ``--scheduler``.
"""
import argparse
import logging
import time

import numpy as np


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=20_000_000)
    p.add_argument("--chunk", type=int, default=1_000_000, help="rows per chunk")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--lr", type=float, default=0.5)
    p.add_argument("--scheduler", default=None,
                   help="address of a running cluster's scheduler (default: a LocalCluster)")
    p.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    args = p.parse_args(argv)

    from dask.distributed import Client, LocalCluster

    if args.scheduler:
        client, cluster = Client(args.scheduler), None
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        fit(client, args)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def fit(client, args):
    """Generate the data on the cluster and fit w by gradient descent, a line per step."""
    import dask.array as da

    import dualrev
    import dualrev.numpy as dnp

    print(f"cluster: {client.scheduler_info()['address']}, "
          f"{len(client.scheduler_info()['workers'])} workers")

    n, d = args.rows, 10
    w_true = np.linspace(-2.0, 2.0, d)
    rng = da.random.default_rng(0)
    X = rng.standard_normal((n, d), chunks=(args.chunk, d))
    y = X @ w_true + 0.1 * rng.standard_normal(n, chunks=args.chunk)
    X, y = client.persist([X, y])       # generated once, kept in the workers' memory
    print(f"data: X {X.shape} in {X.npartitions} chunks of {args.chunk:,} rows "
          f"({X.nbytes / 2**30:.2f} GiB)")

    def loss(w):
        r = X @ w - y
        return dnp.mean(r * r)

    value_and_grad = dualrev.value_and_grad(loss)
    w = np.zeros(d)
    for step in range(1, args.steps + 1):
        t0 = time.perf_counter()
        value, g = value_and_grad(w)                           # Dask graphs: nothing ran yet
        value, g = client.compute([value, g], sync=True)       # run on the cluster
        w = w - args.lr * g
        print(f"step {step:3d}  loss {float(value):.6f}  |grad| {np.linalg.norm(g):.3e}  "
              f"{time.perf_counter() - t0:.2f} s", flush=True)
    print("fitted w:", np.array2string(w, precision=3))
    print("true w:  ", np.array2string(w_true, precision=3))
    print(f"largest error: {np.max(np.abs(w - w_true)):.2e}")


if __name__ == "__main__":
    main()
