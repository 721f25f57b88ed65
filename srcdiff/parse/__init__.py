"""Stage 1, parse: a function object in, its checked source AST out.

Takes the user's function; finds its source, file position and the names it
reads (``source``), maps autograd's names to NumPy's (``aliases``), rejects
syntax srcdiff cannot differentiate with a located error (``fence``) and
rewrites ``return`` and ``break``/``continue`` inside loops so that loops can
stay rolled (``returns``, ``jumps``). Leaves a ``Source`` for the tracer.
"""
