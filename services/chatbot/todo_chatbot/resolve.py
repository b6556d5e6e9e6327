"""Which of the user's tasks a reference names. Pure functions over the task list the backend returned.

Bounded whatever the message: at most MAX_QUERY_WORDS words of a reference are matched, against at most
MAX_TASKS tasks, through a word index (exact stems: set look-ups; typos: a symmetric-delete index, built only
when no exact match exists), so a 2,000-character message against 1,000 tasks costs milliseconds."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from todo_chatbot.backend import Task
from todo_chatbot.nlu.fuzzy import FuzzyIndex, osa_distance
from todo_chatbot.nlu.intent import NLUContext, TaskRef
from todo_chatbot.nlu.stems import SAME_IN_THE_PAST, is_past, same_word, stem

MAX_QUERY_WORDS = 12
MAX_TASKS = 2000
# a reference that no title has in full names the one task with the most of its words, if that is at least
# this share of them (round 6)
MIN_OVERLAP = 0.5

_STOPWORDS = {
    "the", "a", "an", "my", "one", "task", "todo", "item", "to", "for", "of", "on", "and", "that", "this",
    "with", "about", "called", "named", "titled", "thing", "is", "as", "stuff", "ones", "tasks", "it",
    "i", "i've", "ive", "im", "i'm", "just", "already", "finally", "yay", "now", "also", "actually", "all",
    "today", "yesterday", "tonight", "please", "pls", "off", "list", "back", "again", "yet", "some", "our",
    "at", "in", "from", "up", "be", "been", "has", "have", "was", "are", "were", "so", "still", "out",
    "teh", "hte", "th",  # typos of "the" ("mark teh clamp job done", round 12)
}  # fmt: skip
# a last word that says "the task about …", not a word of its title: "the clamp job" (round 12)
_KIND_WORDS = {"job", "jobs", "bit", "business", "errand", "chore", "thingy", "bits"}
# "the lantern job" naming two lantern tasks: the which-one question (round 16; a switch for the test)
KIND_OVER_SEVERAL_ASKS = True
# verbs that say *that* something was done, not what: "I did the groceries", "got the groceries"
GENERIC_VERBS = {stem(w) for w in ("do", "get", "finish", "complete", "handle", "sort", "deal", "take")}


@dataclass
class Resolution:
    task: Task | None = None
    candidates: list[Task] = field(default_factory=list)  # several tasks matched: ask which
    missing: bool = False  # no reference given (or "it" with nothing before): ask which
    problem: str | None = None  # a reference that names no task
    exact: bool = True  # False: reached through a typo-tolerant match (a guess: destructive actions ask)


def words_of(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def query_stems(words: str, keep_kind: bool = False) -> list[str]:
    """The reference's significant words, stemmed, at most MAX_QUERY_WORDS (keeps the cost bounded)."""
    out: list[str] = []
    for w in words_of(words[:400]):
        if w in _STOPWORDS:
            continue
        out.append(w)
        if len(out) == MAX_QUERY_WORDS:
            break
    if len(out) > 1 and out[-1] in _KIND_WORDS and not keep_kind:
        out.pop()
    return out


def match_title(words: str, tasks: list[Task], keep_kind: bool = False) -> tuple[list[Task], bool]:
    """Tasks whose title has every significant word of `words` (as a stem: "calling" names "Call"), and
    whether that was exact; if no task matches exactly, the typo-tolerant match ("mlik" for "milk")."""
    query = query_stems(words, keep_kind)
    if not query:
        return [], True
    tasks = tasks[:MAX_TASKS]
    infos = [_title_info(t["title"]) for t in tasks]
    titles = [info[0] for info in infos]
    title_stems = [info[1] for info in infos]
    stems = [stem(q) for q in query]

    # words the match passes over (stop words, generic verbs): one of them may be a title word with a typo
    # ("walk the do" for "walk the dog", "call to" for "call Tom"), so the match is then not exact (round 9)
    skipped = [w for w in words_of(words[:400])[:24] if w in _STOPWORDS or stem(w) in GENERIC_VERBS]

    def exact(i: int) -> bool:
        have = title_stems[i]
        needed = [(q, s) for q, s in zip(query, stems, strict=True) if s not in GENERIC_VERBS or s in have]
        return (
            bool(needed)
            and all(s in have for _, s in needed)  # cheap: a set look-up per word
            and all(any(same_word(q, w) for w in titles[i]) for q, _ in needed)  # as typed, not a typo
            and not _typo_of_an_unnamed_word(skipped, titles[i], {s for _, s in needed})
        )

    found = [i for i in range(len(tasks)) if exact(i)]
    # "the hull job": a last word passed over as a kind of task (_KIND_WORDS) makes the match a guess, so a
    # delete or completion it reaches asks first; it is passed over only when one task is left (round 12)
    kind_dropped = len(query) < len(query_stems(words, keep_kind=True))
    if kind_dropped and len(found) != 1:
        kept = match_title(words, tasks, keep_kind=True)
        if kept[0] or len(found) < 2 or not KIND_OVER_SEVERAL_ASKS:
            return kept
        # "delete the lantern job" with "Order the roof lantern" and "Ask Tomasz about the lantern flashing":
        # no title has "job", so it is one of the tasks the other words name — the which-one question, never
        # "couldn't find" (round 16)
        return _prefer_whole_title(found, tasks, stems, title_stems), False
    if found:
        return _prefer_whole_title(found, tasks, stems, title_stems), not kind_dropped
    vocabulary = frozenset(w for title in titles for w in title if not w.isdigit())
    index = _index(vocabulary)
    # per query word, the title stems it may stand for: a typo ("mlik") or a prefix of 4+ letters ("dent")
    near: dict[str, set[str]] = {}
    for q, s in list(zip(query, stems, strict=True))[:6]:
        near[q] = {s} | {stem(w) for w in index.near(q)}
        if len(q) >= 4:
            # a prefix ("dent" for "dentist") or the tail of a compound ("hive" for "beehives", round 12)
            near[q] |= {stem(w) for w in vocabulary if w.startswith(q) or w.endswith((q, q + "s", q + "es"))}

    def fuzzy(i: int) -> bool:
        have = title_stems[i]
        return bool(have) and all(
            bool(near.get(q, {s}) & have)
            for q, s in zip(query, stems, strict=True)
            if s not in GENERIC_VERBS or s in have
        )

    found = [i for i in range(len(tasks)) if fuzzy(i)]
    if found:
        return _prefer_whole_title(found, tasks, stems, title_stems), False
    return _best_overlap(query, stems, near, title_stems, tasks), False


# a report that names a whole title as typed, then says where, when or how ("collected the suit from the
# tailor at lunch", "deleted the old photos off the laptop"): the words after the title start with one of
# these and name nothing of any title (round 17; a switch for the test)
WHOLE_TITLE_THEN_MORE = True
_TRAILING_LEAD = frozenset(
    "at on in off from to for with by over during before after this last yesterday today tonight earlier"
    " while when around onto into via through out first".split()
)


def whole_title_then_more(words: str, tasks: list[Task]) -> Task | None:
    """The one task whose every title word the reference types (as typed or inflected, in order, from its
    start), followed by trailing words that begin with a preposition or a time word and are words of no
    title. Bounded: 24 words of the reference, MAX_TASKS titles, a set look-up before any word comparison."""
    typed = words_of(words[:400])[:24]
    first = next((w for w in typed if w not in _STOPWORDS), None)
    if not WHOLE_TITLE_THEN_MORE or first is None or len(typed) < 3:
        return None
    infos = [_title_info(t["title"]) for t in tasks[:MAX_TASKS]]
    every_stem = frozenset().union(*(info[1] for info in infos)) if infos else frozenset()
    first_stem = stem(first)
    found: list[Task] = []
    for task, (title, stems) in zip(tasks, infos, strict=False):
        if first_stem not in stems:
            continue
        wanted = [w for w in title if w not in _STOPWORDS]
        i = k = 0
        while i < len(typed) and k < len(wanted):
            if same_word(typed[i], wanted[k]):
                k += 1
            elif typed[i] not in _STOPWORDS:
                break
            i += 1
        if not wanted or k < len(wanted) or i >= len(typed) or typed[i] not in _TRAILING_LEAD:
            continue
        if any(stem(w) in every_stem for w in typed[i:] if w not in _STOPWORDS):
            continue  # the words after the title name a task: not only where or when
        found.append(task)
    return found[0] if len(found) == 1 else None


# "the tile is cracked" with "Replace the cracked tile", "my bike was stolen" with "Report the stolen bike": a
# past form that is a word of the title other than its verb describes the thing, it does not say the task was
# done — a completion read from such a statement asks (round 17; a switch for the test)
DESCRIBED_NOT_DONE_ASKS = True


def described_not_done(words: str, title: str) -> str | None:
    """The reference's past-form word that names a title word after the title's first (its verb), when the
    title's verb itself is not named; else None. Bounded: 24 words against the title's words."""
    if not DESCRIBED_NOT_DONE_ASKS:
        return None
    typed = words_of(words[:400])[:24]
    named, _ = _title_info(title)
    if not named or any(same_word(w, named[0]) for w in typed):
        return None
    for w in typed:
        if (is_past(w) or w in SAME_IN_THE_PAST) and any(same_word(w, t) for t in named[1:]):
            return w
    return None


def _best_overlap(
    query: list[str],
    stems: list[str],
    near: dict[str, set[str]],
    title_stems: list[frozenset[str]],
    tasks: list[Task],
) -> list[Task]:
    """Round 6: when no title has every word, the one task that has the most of them, if it has at least half
    of them and no other task has as many ("bin the hull job" names "Scrape the hull"; "spoke to Jim about the
    anchor chain" names "Ask Jim about the anchor chain"). Never exact: a delete or completion it reaches
    asks first, and a statement it does not reach is still "not understood"."""
    wanted = [(q, s) for q, s in zip(query, stems, strict=True) if s not in GENERIC_VERBS and len(q) > 2]
    if not wanted:
        return []
    counts = [sum(bool(near.get(q, {s}) & have) for q, s in wanted) if have else 0 for have in title_stems]
    best = max(counts, default=0)
    if best == 0 or best < MIN_OVERLAP * len(wanted) or counts.count(best) != 1:
        return []
    return [tasks[counts.index(best)]]


def _typo_of_an_unnamed_word(skipped: list[str], title: tuple[str, ...], named: set[str]) -> bool:
    """Is a passed-over word of the reference one slip away from a word of the title that the reference did
    not name ("do" for "dog")? Then the match was reached through that slip."""
    unnamed = [w for w in title if stem(w) not in named and len(w) > 1]
    return any(w != t and osa_distance(w, t, 1) <= 1 for w in skipped if w not in title for t in unnamed)


@lru_cache(maxsize=8192)
def _title_info(title: str) -> tuple[tuple[str, ...], frozenset[str]]:
    words = tuple(words_of(title[:400]))
    return words, frozenset(stem(w) for w in words)


@lru_cache(maxsize=64)
def _index(vocabulary: frozenset[str]) -> FuzzyIndex:
    """One index per distinct set of title words: a user's next message usually reuses it."""
    return FuzzyIndex(set(vocabulary))


def _prefer_whole_title(
    found: list[int], tasks: list[Task], stems: list[str], title_stems: list[frozenset[str]]
) -> list[Task]:
    whole = [i for i in found if title_stems[i] - {stem(w) for w in _STOPWORDS} <= set(stems)]
    return [tasks[i] for i in (whole if len(whole) == 1 else found)]


def resolve(
    ref: TaskRef | None,
    tasks: list[Task],
    context: NLUContext,
    prefer: Literal["pending", "completed"] | None = None,
) -> Resolution:
    by_number = {t["number"]: t for t in tasks}
    if ref is None:
        return Resolution(missing=True)
    if ref.number is not None:
        task = by_number.get(ref.number)
        return Resolution(task=task) if task else Resolution(problem=f"You don't have a task #{ref.number}.")
    if ref.pronoun:
        if context.last_task_number is None:
            return Resolution(missing=True)
        task = by_number.get(context.last_task_number)
        if task is None:
            return Resolution(problem=f"Task #{context.last_task_number} doesn't exist any more.")
        return Resolution(task=task)
    if ref.ordinal is not None:
        # a position means one in the list the user was shown (as shown: a task deleted since does not shift
        # the others up); with no list shown it would be a guess
        order = context.listed_numbers
        if not order:
            return Resolution(missing=True)
        index = ref.ordinal - 1 if ref.ordinal > 0 else len(order) + ref.ordinal
        if not 0 <= index < len(order):
            return Resolution(problem=f"The last list had no task number {ref.ordinal}.")
        task = by_number.get(order[index])
        return (
            Resolution(task=task)
            if task
            else Resolution(problem=f"Task #{order[index]} doesn't exist any more.")
        )
    matches, exact = match_title(ref.words or "", tasks)
    if prefer is not None and len(matches) > 1:
        # "mark milk done" with one pending and one done milk task names the pending one
        wanted = [t for t in matches if t["completed"] == (prefer == "completed")]
        if len(wanted) == 1:
            matches = wanted
    if not matches:
        shown = (ref.words or "")[:80]
        return Resolution(problem=f"I couldn't find a task matching '{shown}'.")
    if len(matches) > 1:
        return Resolution(candidates=matches, exact=exact)
    return Resolution(task=matches[0], exact=exact)
