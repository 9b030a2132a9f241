"""PyTorch's ``torch.utils`` helpers for the imperative layer: ``utils.checkpoint``."""
from . import checkpoint  # noqa: F401
