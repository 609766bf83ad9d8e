"""Process-wide settings of newsrag's own processes (the CLI and the web app), set before any work starts.

glibc's malloc gives every thread that allocates an arena of its own (up to 8 per core) and keeps freed memory
in each: Chroma's, tantivy's and torch's worker threads leave scattered free space behind. newsrag's processes
do their work on one thread at a time, so one arena loses nothing and keeps the peak down. Measured with
`newsrag ask` on the 100,010-chunk bench index (bench/incremental.py's `ask_max_rss_mib`): see the README's
Performance section. Library code (`rag/`) never does this: a script that imports it owns its process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

_M_ARENA_MAX = -8  # mallopt parameters, from glibc's malloc.h


def use_one_malloc_arena() -> bool:
    """Limit glibc malloc to one arena unless MALLOC_ARENA_MAX says otherwise; False where there is no glibc
    (musl, macOS) or the call is refused. Must run before the process starts its first threads."""
    if os.environ.get("MALLOC_ARENA_MAX"):  # the user's own setting wins (glibc has already read it)
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, 1))
