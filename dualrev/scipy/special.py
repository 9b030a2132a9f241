"""dualrev.scipy.special."""

__all__ = []
