"""Runs the Schemathesis CLI (same arguments as `python -m schemathesis.cli`) with one fix to the interpreter.

CPython 3.11 before 3.11.5 (Debian bookworm ships 3.11.2) keeps the depth counter of its AST constructor in
state shared by every thread (gh-106905). Schemathesis runs `workers` threads, and Hypothesis parses the source
of a module to describe each lambda strategy it meets; two threads doing that at once corrupt the counter and
the parse fails with "SystemError: AST constructor recursion depth mismatch", a crash of the tool that says
nothing about the API (CI saw it twice in a row on the first operation, while both workers were cold).
Serialising `ast.parse` removes the race; every other thread keeps running in parallel.
"""

import ast
import runpy
import threading

_parse_lock = threading.Lock()
_unsynchronised_parse = ast.parse


def _serialised_parse(*args, **kwargs):
    with _parse_lock:
        return _unsynchronised_parse(*args, **kwargs)


ast.parse = _serialised_parse

if __name__ == "__main__":
    runpy.run_module("schemathesis.cli", run_name="__main__", alter_sys=True)
