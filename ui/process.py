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

# mallopt parameters, from glibc's malloc.h
_M_TRIM_THRESHOLD, _M_ARENA_MAX = -1, -8
# glibc's default trim threshold, set explicitly: that switches off its dynamic raise (after a large block is
# freed, glibc would serve blocks up to that size from the heap and keep their pages); measured with the
# 100k-chunk `ask`: about 25 MB lower peak, no slower.
_TRIM_THRESHOLD = 128 * 1024


def use_one_malloc_arena() -> bool:
    """Limit glibc malloc to one arena and a fixed trim threshold, unless the user set glibc's own variables; False
    where there is no glibc (musl, macOS) or a call is refused. Must run before the process starts threads."""
    if os.environ.get("MALLOC_ARENA_MAX") or os.environ.get("MALLOC_TRIM_THRESHOLD_"):  # the user's own wins
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, 1)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
