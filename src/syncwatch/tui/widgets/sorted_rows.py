"""A sorted sequence kept in chunks: a changed row moves in O(√N), not O(N).

The integration list keeps every row sorted by its sort key. With one flat Python list, moving
a row costs a memmove of the whole list (for 100,000 rows, tens of microseconds per row and
list, several milliseconds per refresh); here each insertion or removal touches one chunk of
a few hundred items. Items are found by position (what a line of the list shows) or by key
(where a changed row is), both with a binary search.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from itertools import chain
from operator import itemgetter
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")
#: Sort keys: tuples that compare, unique per item.
Key = tuple[Any, ...]

_first = itemgetter(0)

#: Items per chunk; a chunk is split when it grows to twice this.
CHUNK = 512


class SortedRows(Sequence[T], Generic[T]):
    """Items in ascending order of their (unique) keys, addressable by position and key."""

    __slots__ = ("_firsts", "_items", "_keys", "_len", "_starts")

    def __init__(self, keys: Sequence[Key] = (), items: Sequence[T] = ()) -> None:
        """``keys`` in ascending order and the ``items`` they belong to."""
        n = len(keys)
        self._keys: list[list[Key]] = [list(keys[i : i + CHUNK]) for i in range(0, n, CHUNK)]
        self._items: list[list[T]] = [list(items[i : i + CHUNK]) for i in range(0, n, CHUNK)]
        self._len = n
        self._firsts: list[Key] = [k[0] for k in self._keys]
        self._starts: list[int] | None = None

    # -- by position ------------------------------------------------------------------

    def __len__(self) -> int:
        return self._len

    def _offsets(self) -> list[int]:
        if self._starts is None:
            starts, at = [], 0
            for keys in self._keys:
                starts.append(at)
                at += len(keys)
            self._starts = starts
        return self._starts

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return list(self)[index]
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError(index)
        starts = self._offsets()
        chunk = bisect_right(starts, index) - 1
        return self._items[chunk][index - starts[chunk]]

    def __iter__(self) -> Iterator[T]:
        for items in self._items:
            yield from items

    def __reversed__(self) -> Iterator[T]:
        for items in reversed(self._items):
            yield from reversed(items)

    def keys(self) -> list[Key]:
        """All keys, in order."""
        return list(chain.from_iterable(self._keys))

    def items(self) -> list[T]:
        """All items, in order."""
        return list(chain.from_iterable(self._items))

    def merged(self, keys: Sequence[Key], items: Sequence[T]) -> SortedRows[T]:
        """These items and ``items`` (``keys`` ascending, none of them here) as one new
        sequence: O(N + n log n) for n new items, where inserting them one by one costs
        O(n (log N + chunk size)) with a Python call each (the background load's batches
        of thousands)."""
        if not keys:
            return self
        pairs = list(zip(self.keys(), self.items(), strict=True))
        pairs += zip(keys, items, strict=True)
        # Two ascending runs: the sort merges them in linear time.
        pairs.sort(key=_first)
        return SortedRows([k for k, _ in pairs], [item for _, item in pairs])

    # -- by key -----------------------------------------------------------------------

    def _locate(self, key: Key) -> tuple[int, int]:
        """(chunk, offset) where ``key`` is or would go."""
        chunk = max(0, bisect_right(self._firsts, key) - 1)
        if chunk >= len(self._keys):
            return chunk, 0
        return chunk, bisect_left(self._keys[chunk], key)

    def position_of(self, key: Key) -> int | None:
        """The position of the item with ``key``, or None."""
        chunk, at = self._locate(key)
        if chunk < len(self._keys):
            keys = self._keys[chunk]
            if at < len(keys) and keys[at] == key:
                return self._offsets()[chunk] + at
        return None

    def replace(self, key: Key, item: T) -> bool:
        """Put ``item`` where the item with ``key`` is (same key); False if there is none."""
        chunk, at = self._locate(key)
        if chunk < len(self._keys):
            keys = self._keys[chunk]
            if at < len(keys) and keys[at] == key:
                self._items[chunk][at] = item
                return True
        return False

    def remove(self, key: Key) -> bool:
        """Remove the item with ``key``; False if there is none."""
        chunk, at = self._locate(key)
        if chunk >= len(self._keys):
            return False
        keys = self._keys[chunk]
        if at >= len(keys) or keys[at] != key:
            return False
        del keys[at]
        del self._items[chunk][at]
        if keys:
            self._firsts[chunk] = keys[0]
        else:
            del self._keys[chunk]
            del self._items[chunk]
            del self._firsts[chunk]
        self._len -= 1
        self._starts = None
        return True

    def insert(self, key: Key, item: T) -> None:
        """Add ``item`` at its place (its key must not be there already)."""
        if not self._keys:
            self._keys.append([key])
            self._items.append([item])
            self._firsts.append(key)
        else:
            chunk, at = self._locate(key)
            keys, items = self._keys[chunk], self._items[chunk]
            keys.insert(at, key)
            items.insert(at, item)
            self._firsts[chunk] = keys[0]
            if len(keys) >= 2 * CHUNK:
                self._keys[chunk : chunk + 1] = [keys[:CHUNK], keys[CHUNK:]]
                self._items[chunk : chunk + 1] = [items[:CHUNK], items[CHUNK:]]
                self._firsts[chunk : chunk + 1] = [keys[0], keys[CHUNK]]
        self._len += 1
        self._starts = None
