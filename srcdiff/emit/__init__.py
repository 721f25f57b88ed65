"""Stage 6, emit: a simplified program in, a standalone Python module out.

``statements`` turns the IR into an ``ast.Module``, writing constants with
``literals`` and putting the ``preamble`` (imports, helper copies, the guard
class) above the function; ``format`` adds the header and, only when source
text is asked for, formats it with black.
"""
