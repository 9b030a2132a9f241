"""dualrev.scipy.linalg."""

__all__ = []
