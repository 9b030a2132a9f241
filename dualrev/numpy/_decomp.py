"""(numpy.linalg group module: filled in below)"""

__all__ = []
