"""Stage 3, reverse: forward IR in, forward plus backward IR out.

Activity analysis picks the statements that carry a derivative; each gets its
adjoint rule, run through a rule runner the caller provides and appended by
the caller's builder (``backprop``); a rolled loop gets a loop that runs its
trips backwards (``loop``) and a branch gets a branch (``branch``). Never
imports the trace stage. Leaves one gradient value per ``wrt`` leaf.
"""
