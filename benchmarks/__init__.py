"""dualrev benchmarks: an asv suite (bench_*.py) and a side-by-side peer comparison (compare.py).

asv puts the repository root on sys.path before importing this package, so
the dualrev measured is the working tree's.  Thread counts are pinned to one
(unless already set) so that timings do not depend on how busy the machine is.
"""
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _root not in sys.path:
    sys.path.insert(0, _root)
