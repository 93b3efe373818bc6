"""Answers of per-run routes, kept until the run's data changes.

A slot is one question (route, run, parameters); its answer is stored with the
version of the data it was computed from (the listed last step and wall time
of every series it read). A new version replaces the old answer, so a run that
grows is recomputed on its next request and never served stale. Concurrent
requests for one slot compute it once; the least recently used slots go first.
"""

import collections
import threading


class AnswerCache:
    """{slot: (version, answer)}, at most `size` slots."""

    def __init__(self, size=1024):
        self._size = size
        self._answers = collections.OrderedDict()
        self._computing = {}  # slot -> lock held while one request computes it
        self._lock = threading.Lock()

    def get(self, slot, version, compute):
        """The answer of `slot` at `version`, from `compute()` when not cached."""
        answer = self._lookup(slot, version)
        if answer is not None:
            return answer
        with self._lock:
            slot_lock = self._computing.setdefault(slot, threading.Lock())
        with slot_lock:
            answer = self._lookup(slot, version)  # another request may have computed it meanwhile
            if answer is None:
                answer = compute()
                with self._lock:
                    self._answers[slot] = (version, answer)
                    self._answers.move_to_end(slot)
                    while len(self._answers) > self._size:
                        self._answers.popitem(last=False)
        with self._lock:
            if not slot_lock.locked():
                self._computing.pop(slot, None)
        return answer

    def _lookup(self, slot, version):
        with self._lock:
            entry = self._answers.get(slot)
            if entry is None or entry[0] != version:
                return None
            self._answers.move_to_end(slot)
            return entry[1]
