"""srcdiff: NumPy function in, readable standalone gradient source out."""

__version__ = "0.1.0"

from srcdiff import optimize
from srcdiff.api import elementwise_grad, grad, print_source, value_and_grad
from srcdiff.api_forward import jvp
from srcdiff.api_second import hessian, hvp, jacobian
from srcdiff.errors import (
    InvalidWrt,
    NeedsExample,
    NonScalarOutput,
    NoSource,
    PathChanged,
    SrcdiffError,
    TraceError,
    UnboundMethod,
    UnsupportedPrimitive,
    UnsupportedSyntax,
)
from srcdiff.ir.prims import stop_gradient
from srcdiff.primitive import primitive

__all__ = [
    "InvalidWrt",
    "NeedsExample",
    "NoSource",
    "NonScalarOutput",
    "PathChanged",
    "SrcdiffError",
    "TraceError",
    "UnboundMethod",
    "UnsupportedPrimitive",
    "UnsupportedSyntax",
    "__version__",
    "elementwise_grad",
    "grad",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "optimize",
    "primitive",
    "print_source",
    "stop_gradient",
    "value_and_grad",
]
