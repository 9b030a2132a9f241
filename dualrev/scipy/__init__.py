"""dualrev.scipy: the SciPy functions research code differentiates, as dualrev's own
primitives (``special``, ``stats``, ``linalg``).  SciPy is optional."""
