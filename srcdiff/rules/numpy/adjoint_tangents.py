"""Tangent rules of the helpers only adjoint sweeps write, so that forward
mode runs over a gradient's program (``srcdiff.hvp``).

Each is linear in the adjoints it takes. An argument read only for its shape
(``unbroadcast(g, like)``'s ``like``) gets no tangent: its values change
nothing.
"""

from srcdiff import helpers
from srcdiff.ir.prims import INDEX_ADD, TO_FLOAT
from srcdiff.rules.registry import linear, multilinear, shape_only

# ----- Sums back to an argument's shape: linear in the adjoint -----
linear(helpers.unbroadcast, helpers.scatter_add)
shape_only(helpers.unbroadcast, argnums=(1,))

# ----- A Python float argument's gradient, a float again: linear -----
linear(TO_FLOAT)

# ----- A getitem's adjoint added into the array's (A[i] += g): linear in both -----
linear(INDEX_ADD, argnums=(0, 2))

# ----- A container's gradient from its items' (params['W1'] -> dparams) -----
linear(helpers.item_grads, argnums=(1,))
shape_only(helpers.item_grads, argnums=(0,))

# ----- The adjoints of a @ b, products of the adjoint and the other factor -----
multilinear(helpers.matmul_left_grad, argnums=(0, 2))
shape_only(helpers.matmul_left_grad, argnums=(1,))
multilinear(helpers.matmul_right_grad, argnums=(0, 1))
shape_only(helpers.matmul_right_grad, argnums=(2,))
