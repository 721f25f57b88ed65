"""The gradient srcdiff emits for an example, run as plain Python: for tests
that read the emitted text and run it on other inputs (other trip counts)."""

from __future__ import annotations

from typing import Any

import srcdiff
import srcdiff.api


def emitted_gradient(
    fn: Any, wrt: Any, args: tuple[Any, ...], unroll: bool | None = False
) -> tuple[Any, str]:
    """``<f>_grad`` run from the text emitted for ``args`` (loops rolled
    unless ``unroll``), and that text."""
    g = srcdiff.grad(fn, wrt=wrt, unroll=unroll)
    source = srcdiff.api.render(g.derivative(*args))
    namespace: dict[str, Any] = {}
    exec(compile(source, "emitted", "exec"), namespace)
    return namespace[f"{fn.__name__}_grad"], source
