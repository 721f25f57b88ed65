"""The intermediate representation every later stage reads and writes.

SSA statements over primitives, with loops and branches (``nodes``); the
table of primitives and how each one prints (``prims``, ``effects`` for
calls with effects); sizes as expressions of the inputs (``sizes``); an
interpreter that runs statements on concrete values (``run``). Imports
nothing of the stages: rules, trace, reverse and emit build on it.
"""
