"""dualrev.numpy.fft: numpy.fft's functions, differentiable."""

__all__ = []
