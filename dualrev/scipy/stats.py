"""dualrev.scipy.stats."""

__all__ = []
