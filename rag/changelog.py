"""The change log: which articles each commit touched, so that a process brings its catalog (every committed
article's registry record) up to date by re-reading those articles only, not the whole registry (issue 12).

The log is a small Chroma collection `<collection>-changes` beside the registry, so embedded and server stores
share it. A write or removal (`rag.store.Store`):
1. adds its chunks (invisible until the commit);
2. `begin`: claims the next sequence number with an entry {seq, article ids, done: False};
3. commits the registry and deletes old chunks;
4. `finish`: marks the entry done;
5. bumps the generation token, which carries the seq (`generation_token`).
The entry is written before the registry commit, so a crash between the two leaves at most an entry whose
articles did not change: re-reading them costs a little, misses nothing. A reader's cursor stops before the
first entry that is not done, as its commit may still land; an entry a crashed writer left pending counts as
done after `ABANDONED` seconds.

Sequence numbers: Chroma's `add` keeps the first record of an id and ignores later ones, so a claim is an add
followed by reading the entry back; two server-mode writers that claim one number find out which won, and the
other takes the next. Numbers therefore have no gaps, and a gap means entries are missing (trimmed, or written
by a process that predates the log): the reader falls back to a full scan (`rag.catalog`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rag.errors import StoreError

KEEP = 10_000  # entries kept; a reader further behind than that re-reads the whole registry
TRIM_EVERY = 100  # trim at every hundredth seq, not on each commit
ABANDONED = 600.0  # seconds after which a pending entry's writer is taken to be dead (a commit takes seconds)
_CLAIMS = 1000  # attempts to claim a seq before giving up (each loss means another writer won that number)


@dataclass(frozen=True)
class Change:
    seq: int
    article_ids: tuple[str, ...]
    done: bool
    at: float  # the writer's clock when it claimed the seq

    def settled(self, now: float) -> bool:
        """Done, or left pending by a writer that died long ago: its commit, if any, has landed."""
        return self.done or now - self.at > ABANDONED


def generation_token(seq: int) -> str:
    """A new generation token that carries the seq of the commit that wrote it."""
    return f"{seq}.{uuid.uuid4().hex}"


def token_seq(generation: str) -> int | None:
    """The seq a generation token carries; None for a token written before the log (a plain hex string)."""
    head, dot, _ = generation.partition(".")
    return int(head) if dot and head.isdigit() else None


def _key(seq: int) -> str:
    return f"{seq:012d}"


class ChangeLog:
    """The `<collection>-changes` collection: claim, finish, read and trim entries."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection

    @property
    def identity(self) -> str:
        """Changes when the log is dropped and created anew (a reindex): cursors into the old one mean nothing."""
        return str(self.collection.id)

    def begin(self, article_ids: Sequence[str], after: int) -> int:
        """Claim the next seq for a commit of these articles; `after`: a seq known to exist (or 0), to start
        looking from."""
        seq = self._last(after) + 1
        document = json.dumps(list(dict.fromkeys(article_ids)))
        for _ in range(_CLAIMS):
            token = uuid.uuid4().hex
            self.collection.add(
                ids=[_key(seq)], embeddings=np.ones((1, 1), dtype=np.float32),  # looked up by id and seq only
                documents=[document], metadatas=[{"seq": seq, "done": False, "at": time.time(), "token": token}],
            )
            found = self.collection.get(ids=[_key(seq)], include=["metadatas"])
            if found["metadatas"] and found["metadatas"][0].get("token") == token:
                return seq
            seq += 1
        raise StoreError(f"cannot claim a change-log entry after {_CLAIMS} attempts: too many writers at once")

    def finish(self, seq: int) -> None:
        """Mark the entry done (its registry commit has landed), and trim the log now and then."""
        found = self.collection.get(ids=[_key(seq)], include=["metadatas"])
        if found["metadatas"]:
            self.collection.update(ids=[_key(seq)], metadatas=[{**found["metadatas"][0], "done": True}])
        if seq % TRIM_EVERY == 0 and seq > KEEP:
            self.collection.delete(where={"seq": {"$lte": seq - KEEP}})

    def since(self, seq: int) -> list[Change]:
        """Entries after `seq`, in order."""
        return self._changes(self.collection.get(where={"seq": {"$gt": seq}}, include=["metadatas", "documents"]))

    def token(self, seq: int) -> str | None:
        """The random token entry `seq` was claimed with (None when the entry is absent): it tells the entry
        from another one numbered alike, as in a log restored from an older backup and written on since."""
        found = self.collection.get(ids=[_key(seq)], include=["metadatas"])
        return str(found["metadatas"][0].get("token")) if found["metadatas"] else None

    def _last(self, after: int) -> int:
        """The highest seq in the log: usually few entries lie beyond `after`; all are read when none do."""
        found = self.collection.get(where={"seq": {"$gte": after}}, include=["metadatas"])
        if not found["ids"]:
            found = self.collection.get(include=["metadatas"])
        return max((int(m["seq"]) for m in found["metadatas"]), default=0)

    def cursor(self) -> int:
        """The seq up to which every entry has settled (see `settled_through`) in the whole log, 0 when empty."""
        found = self.collection.get(include=["metadatas"])
        changes = [Change(int(m["seq"]), (), bool(m.get("done")), float(m.get("at", 0.0))) for m in found["metadatas"]]
        changes.sort(key=lambda c: c.seq)
        return settled_through(changes, changes[0].seq - 1 if changes else 0)

    @staticmethod
    def _changes(found: dict[str, Any]) -> list[Change]:
        changes = [
            Change(int(meta["seq"]), tuple(json.loads(doc)), bool(meta.get("done")), float(meta.get("at", 0.0)))
            for meta, doc in zip(found["metadatas"], found["documents"], strict=True)
        ]
        return sorted(changes, key=lambda c: c.seq)


def contiguous(changes: Sequence[Change], after: int) -> bool:
    """True when the entries are exactly after+1, after+2, ...: nothing trimmed or missing in between."""
    return all(change.seq == after + 1 + i for i, change in enumerate(changes))


def settled_through(changes: Sequence[Change], after: int) -> int:
    """The last seq of the run of settled entries that starts right after `after` (sorted, contiguous input)."""
    now = time.time()
    cursor = after
    for change in changes:
        if not change.settled(now):
            break
        cursor = change.seq
    return cursor
