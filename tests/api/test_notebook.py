"""A gradient function displayed in a notebook: highlighted, escaped source,
and a note on how to call it when it needs arguments, never a traceback."""

from __future__ import annotations

import html
import re

import numpy as np

import srcdiff
from srcdiff.notebook import highlight


def positive_part(x):
    if np.sum(x) > 0:  # a guard whose message holds ">"
        return np.sum(x * x)
    return np.sum(-x)


def pairs(x, y):
    total = 0.0
    for a, b in zip(x, y, strict=True):
        total = total + a * b
    return total


def _text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def test_the_html_is_the_source_escaped_and_coloured():
    g = srcdiff.grad(positive_part)
    g(np.ones(3))
    markup = g._repr_html_()
    assert markup.startswith("<pre ")
    assert _text(markup) == g.source  # nothing lost, nothing added
    assert "&gt;" in markup and "&quot;" in markup  # escaped, not raw
    assert '<span style="color:#a626a4;font-weight:bold">def</span>' in markup
    assert '<span style="color:#4078f2">positive_part_grad</span>' in markup


def test_markdown_is_a_python_block_of_the_source():
    g = srcdiff.grad(positive_part)
    g(np.ones(3))
    assert g._repr_markdown_() == f"```python\n{g.source}```"


def test_highlighting_keeps_text_the_tokenizer_cannot_read():
    broken = 'x = """never closed\n<b>'
    assert _text(highlight(broken)) == broken
    assert "<b>" not in highlight(broken)


def test_a_gradient_that_needs_arguments_says_how_to_give_them_in_a_notebook():
    g = srcdiff.grad(pairs)
    markup, markdown = g._repr_html_(), g._repr_markdown_()
    assert "`g(x, y)` for `g = srcdiff.grad(pairs)`" in markdown
    assert "`srcdiff.print_source(g, x, y)`" in markdown
    assert "--example" not in markdown  # a flag of the command line, not here
    assert "needs its length" in markdown  # what it needs, located
    assert markup.startswith("<p>") and _text(markup) == markdown
