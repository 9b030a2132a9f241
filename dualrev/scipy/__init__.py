"""dualrev.scipy: the SciPy functions research code differentiates, as dualrev's own
primitives (``special``, ``stats``, ``linalg``).  SciPy is optional: where it is installed
it computes some of the values; NumPy implementations stand in without it."""
from . import linalg, special, stats  # noqa: F401
