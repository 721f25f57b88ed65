"""Stage 5, names: a readable, deterministic name for every value emitted.

``namer`` hands out names; ``sharing`` decides, as emit writes the program,
which values take over another value's name; ``sizes`` names the sizes read
in several places (``n = X.shape[0]``).
"""
