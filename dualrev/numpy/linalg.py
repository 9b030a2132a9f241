"""dualrev.numpy.linalg: numpy.linalg's functions, differentiable."""

__all__ = []
