"""Stage 2, trace: a ``Source`` and the example arguments in, IR out.

Partially evaluates the function's AST (``tracer``): Python control flow
decided by the example is unrolled, ``for``/``while`` over traced values stay
rolled (``loop``), ``if`` on traced values becomes a branch (``branch``).
Each primitive call is appended by the ``builder``, which evaluates it on the
example, infers its symbolic shape (``shapes``) and records the guards that
keep the derivative valid. ``entry`` checks the inputs' structure. Leaves a
list of IR statements whose outputs are the function's result.
"""
