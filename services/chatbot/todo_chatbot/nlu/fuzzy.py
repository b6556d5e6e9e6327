"""Typo tolerance: optimal-string-alignment distance (Damerau-Levenshtein with adjacent transpositions)."""

from __future__ import annotations

from functools import lru_cache


def osa_distance(a: str, b: str, limit: int = 3) -> int:
    """Edits (insert, delete, substitute, swap neighbours) from a to b; above `limit` reported as limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def allowed_typos(word: str) -> int:
    """Short words must be exact; a slip is allowed from 4 letters, two from 8."""
    return 0 if len(word) < 4 else 1 if len(word) < 8 else 2


def similar(query: str, word: str) -> bool:
    """Does the user's word `query` name the title word `word`? Exact, plural, prefix, or a small typo."""
    if query == word or query.rstrip("s") == word.rstrip("s"):
        return True
    if len(query) >= 4 and word.startswith(query):
        return True
    budget = allowed_typos(query)
    return budget > 0 and osa_distance(query, word, budget) <= budget


@lru_cache(maxsize=4096)
def closest(word: str, vocabulary: tuple[str, ...]) -> str | None:
    """The vocabulary word `word` is a small typo of, or None (exact matches are the caller's business)."""
    budget = allowed_typos(word)
    if budget == 0:
        return None
    best, best_distance = None, budget + 1
    for candidate in vocabulary:
        if len(candidate) < 3:
            continue
        d = osa_distance(word, candidate, budget)
        if d < best_distance:
            best, best_distance = candidate, d
    return best
