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


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        out |= frontier
    return out


class FuzzyIndex:
    """Symmetric-delete index over a vocabulary (the words of the user's titles): finds the words within the
    typo budget of a query word without comparing it to every word. Two words within edit distance d share
    a string reachable by at most d deletions from each; candidates are then checked with `osa_distance`.
    Building costs one dict entry per deletion variant (about 10 per word); a lookup is a few dict probes."""

    def __init__(self, vocabulary: set[str]) -> None:
        self._variants: dict[str, set[str]] = {}
        for word in vocabulary:
            if len(word) < 3:
                continue
            for variant in _deletes(word, 1 if len(word) < 8 else 2):
                self._variants.setdefault(variant, set()).add(word)

    def near(self, query: str) -> set[str]:
        """Vocabulary words `similar` treats as a typo of `query` (the exact word excluded)."""
        budget = allowed_typos(query)
        if budget == 0:
            return set()
        found: set[str] = set()
        for variant in _deletes(query, budget):
            for word in self._variants.get(variant, ()):
                if word != query and osa_distance(query, word, budget) <= budget:
                    found.add(word)
        return found
