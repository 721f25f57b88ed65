"""Stage 3 in forward mode: forward IR in, the same IR with tangents out.

Each statement a ``wrt`` input reaches is followed by its tangent, from the
primitive's tangent rules (``sweep``), run through the rule runner the caller
provides; a rolled loop carries its tangents as state (``loop``) and a
branch computes them in its arms (``branch``). Never imports the trace
stage. Leaves the tangent of the output.
"""
