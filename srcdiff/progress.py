"""Progress of a long derivation, on stderr, so a big trace is not silence.

``srcdiff emit --unroll`` on ten thousand steps can trace for a minute.
Nothing is printed for the first ``AFTER`` seconds (most derivations end
sooner); then a line every ``EVERY`` seconds says which stage is running and
how many source statements the tracer has run so far, and a last line how
long it took. A daemon thread does the reporting, so stages that run no
statements (formatting with black) are reported too.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from typing import TextIO

AFTER = 2.0
EVERY = 5.0


class Progress:
    """Use as a context manager around the work it reports on."""

    def __init__(self, what: str, stage: str, stream: TextIO | None = None) -> None:
        self.what = what
        self.stage = stage
        self.stream = stream
        self.statements = 0
        self.reported = False
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> Progress:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if self.reported and exc[0] is None:
            self._print(f"srcdiff: {self.what}: done in {self._elapsed():.1f} s")

    def step(self) -> None:
        """One source statement run by the tracer."""
        self.statements += 1

    def enter(self, stage: str) -> None:
        """The work moves on to ``stage`` (differentiating, emitting)."""
        self.stage = stage

    def _watch(self) -> None:
        wait = AFTER
        while not self._stop.wait(wait):
            counted = f", {self.statements:,} statements traced" * bool(self.statements)
            self._print(
                f"srcdiff: {self.stage} {self.what}: {self._elapsed():.0f} s{counted}"
            )
            self.reported = True
            wait = EVERY

    def _elapsed(self) -> float:
        return time.monotonic() - self._start

    def _print(self, line: str) -> None:
        # stderr closed: progress is not worth failing for.
        with contextlib.suppress(OSError, ValueError):
            print(line, file=self.stream or sys.stderr, flush=True)
