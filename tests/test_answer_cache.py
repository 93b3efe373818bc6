"""AnswerCache: one answer per slot and data version, computed once, least recently used slots dropped."""

import threading
import time

from tensorboard_plugin_saturation.answer_cache import AnswerCache


def test_a_new_version_replaces_the_answer_and_an_old_one_is_recomputed():
    cache, calls = AnswerCache(), []
    compute = lambda: calls.append(1) or {"n": len(calls)}  # noqa: E731
    assert cache.get("overview/run", (1,), compute) == {"n": 1}
    assert cache.get("overview/run", (1,), compute) == {"n": 1}
    assert cache.get("overview/run", (2,), compute) == {"n": 2}  # the run grew
    assert cache.get("overview/run", (1,), compute) == {"n": 3}  # one version per slot is kept
    assert len(calls) == 3


def test_concurrent_requests_for_one_slot_compute_it_once():
    cache, calls, answers = AnswerCache(), [], []

    def compute():
        calls.append(1)
        time.sleep(0.2)
        return {"answer": 42}

    threads = [threading.Thread(target=lambda: answers.append(cache.get("slot", "v", compute))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and answers == [{"answer": 42}] * 8


def test_the_least_recently_used_slot_goes_first():
    cache, calls = AnswerCache(size=2), []
    compute = lambda: calls.append(1) or {"n": len(calls)}  # noqa: E731
    cache.get("a", 0, compute)
    cache.get("b", 0, compute)
    cache.get("a", 0, compute)  # a used again: b is now the oldest
    cache.get("c", 0, compute)  # evicts b
    assert cache.get("a", 0, compute) == {"n": 1}
    assert cache.get("b", 0, compute) == {"n": 4}
    assert len(calls) == 4
