"""srcdiff: NumPy function in, readable standalone gradient source out."""

from srcdiff.api import grad, print_source, value_and_grad
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
    "grad",
    "print_source",
    "value_and_grad",
]
