"""Neural-network building blocks on Tensors, as ``torch.nn``."""
from . import functional  # noqa: F401
from .modules import (CrossEntropyLoss, Flatten, Identity, Linear, LogSoftmax, Module,  # noqa: F401
                      ModuleList, MSELoss, NLLLoss, Parameter, ReLU, Sequential, Sigmoid,
                      Softmax, Tanh)
