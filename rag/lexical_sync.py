"""Bringing the local lexical index up to date by the difference against the article registry.

The registry (Chroma, shared by every process) says which version of each article is committed; the lexical
index (local files, `rag.lexical_files`) records which versions it holds. A sync deletes and re-adds the
articles whose versions differ and deletes those the registry no longer has: one added article costs its own
chunks, whatever the size of the index. A full rebuild starts from an empty index.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rag.lexical import LexicalDoc, LexicalIndex
from rag.lexical_files import LexicalFiles
from rag.records import lexical_text

if TYPE_CHECKING:
    from rag.store import Store

_FETCH = 500  # article ids per Chroma `where $in` read


def sync(store: Store, generation: str, *, rebuild: bool, sweep: bool) -> LexicalIndex:
    """The lexical index at `generation`: added, replaced (another version) and removed articles applied.
    `rebuild` starts from nothing; `sweep` also deletes leftover chunks of interrupted writes from Chroma."""
    # The catalog is read after the generation token: a commit racing with us makes the index look stale.
    catalog = store._sync_catalog(generation)
    files = store.lexical_files
    current = {article_id: info.version for article_id, info in catalog.items()}
    with files.locked():
        if rebuild:
            files.wipe()
        held = files.versions()  # what the committed index holds (another process may have synced it)
        changed = [a for a, version in current.items() if held.get(a) != version]
        # Changed articles are deleted too, not only those the state lists: after a kill between tantivy's
        # commit and the state file, the index holds documents the state does not know of.
        dropped = [a for a in held if a not in current] + changed
        if dropped or sweep:
            docs = _lexical_docs(store, changed, current, whole=not held, sweep=sweep)
            files.apply(docs, dropped, current, generation)
        elif LexicalFiles.stored_generation(files.directory) != generation:
            files.record(current, generation)
    return files.snapshot(generation, current)


def _lexical_docs(store: Store, article_ids: list[str], versions: dict[str, str], *, whole: bool, sweep: bool
                  ) -> Iterator[LexicalDoc]:
    """The committed chunks of these articles, as lexical documents: by one scan of every chunk when the index
    starts empty (or `sweep` deletes leftovers of interrupted writes on the way), else per article."""
    wanted = set(article_ids)
    if whole or sweep:
        rows: Iterator[tuple[str, str, dict[str, Any]]] = store.committed_chunks(sweep=sweep)
    else:
        rows = _chunks_of(store, article_ids)
    for chunk_id, text, meta in rows:
        article_id = str(meta.get("article_id"))
        if article_id in wanted and versions.get(article_id) == meta.get("version"):
            yield LexicalDoc(chunk_id, lexical_text(text, meta), article_id, int(meta.get("published_day", 0)),
                             str(meta.get("source", "")), tuple(int(d) for d in meta.get("event_days") or ()))


def _chunks_of(store: Store, article_ids: list[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for i in range(0, len(article_ids), _FETCH):
        found = store.chunks.get(where={"article_id": {"$in": article_ids[i : i + _FETCH]}},
                                 include=["documents", "metadatas"])
        yield from zip(found["ids"], found["documents"], found["metadatas"], strict=True)
