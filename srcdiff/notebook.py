"""How a gradient function shows itself in a notebook: its highlighted source.

Jupyter asks an object for ``_repr_html_`` (and ``_repr_markdown_``). The
source is escaped and coloured here with the standard library's tokenizer,
so displaying needs no highlighter package. A gradient that cannot be
emitted before it sees arguments says how to give them in a notebook, not
a traceback.
"""

from __future__ import annotations

import html
import io
import keyword
import token
import tokenize
from collections.abc import Callable

from srcdiff.errors import NeedsExample

# Colours that read on light and dark notebook themes.
_STYLE = {
    "keyword": "color:#a626a4;font-weight:bold",
    "string": "color:#50a14f",
    "comment": "color:#8a8a8a;font-style:italic",
    "number": "color:#986801",
    "definition": "color:#4078f2",
}
_PRE = "font-family:monospace;line-height:1.35;white-space:pre;overflow-x:auto"


def highlight(source: str) -> str:
    """``source`` as escaped HTML with keywords, names defined, strings,
    numbers and comments coloured; text the tokenizer cannot read stays plain."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return f'<pre style="{_PRE}">{html.escape(source)}</pre>'
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(row: int, col: int) -> int:
        """A tokenizer position in ``source`` (the end marker lies past it)."""
        return offsets[row - 1] + col if row <= len(lines) else len(source)

    out: list[str] = []
    at = 0
    previous = ""
    for tok in tokens:
        start, end = offset(*tok.start), offset(*tok.end)
        if start < at:
            continue
        out.append(html.escape(source[at:start]))
        text = html.escape(source[start:end])
        kind = _kind(tok, previous)
        out.append(f'<span style="{_STYLE[kind]}">{text}</span>' if kind else text)
        at = end
        if tok.type not in (token.NL, token.NEWLINE, token.INDENT, token.DEDENT):
            previous = tok.string
    out.append(html.escape(source[at:]))
    return f'<pre style="{_PRE}">{"".join(out)}</pre>'


def _kind(tok: tokenize.TokenInfo, previous: str) -> str:
    if tok.type == token.NAME and keyword.iskeyword(tok.string):
        return "keyword"
    if tok.type == token.NAME and previous in ("def", "class"):
        return "definition"
    if tok.type == token.STRING or tok.type == getattr(token, "FSTRING_START", -1):
        return "string"
    if tok.type == token.COMMENT:
        return "comment"
    if tok.type == token.NUMBER:
        return "number"
    return ""


def shown(source: Callable[[], str], fn_name: str, params: str) -> tuple[str, str]:
    """(HTML, Markdown) of the source ``source()`` gives, or of a note saying
    how to give the arguments it needs."""
    try:
        text = source()
    except NeedsExample as exc:
        where = f" ({exc.loc})" if exc.loc else ""
        note = (
            f"The gradient of {fn_name} is emitted for the arguments it is called "
            f"with, and here it needs them: {exc.message}{where}. Call it once "
            f"with {fn_name}'s arguments, `g({params})` for "
            f"`g = srcdiff.grad({fn_name})`, or show its source for given "
            f"arguments: `srcdiff.print_source(g, {params})`."
        )
        return f"<p>{html.escape(note)}</p>", note
    return highlight(text), f"```python\n{text}```"
