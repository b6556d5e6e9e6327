"""Word stems for matching what the user typed against task titles: "calling mom", "called mom" and "Call mom"
share the stems call+mom; "the passport renewal" and "Renew passport" share renew+passport.

Snowball's English (Porter2) stemmer from `snowballstemmer` (pure Python, no dependencies) does the regular
forms; irregular past tenses, which no stemmer derives ("paid", "bought", "sent"), come from the table below,
and a few everyday synonyms ("mum" -> "mom") are folded the same way. Stems are compared on both sides, so
they need not be words ("updat")."""

from __future__ import annotations

from functools import lru_cache

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")

# irregular past tense and participle -> infinitive (the verbs people put in task titles)
IRREGULAR = {
    "paid": "pay", "bought": "buy", "brought": "bring", "sent": "send", "got": "get", "gotten": "get",
    "did": "do", "done": "do", "made": "make", "took": "take", "taken": "take", "went": "go", "gone": "go",
    "wrote": "write", "written": "write", "ran": "run", "met": "meet", "found": "find", "gave": "give",
    "given": "give", "left": "leave", "told": "tell", "thought": "think", "caught": "catch",
    "taught": "teach", "sold": "sell", "held": "hold", "kept": "keep", "built": "build", "spent": "spend",
    "lent": "lend", "rang": "ring", "rung": "ring", "ate": "eat", "eaten": "eat", "drove": "drive",
    "driven": "drive", "fed": "feed", "hung": "hang", "saw": "see", "seen": "see", "began": "begin",
    "begun": "begin", "swam": "swim", "won": "win", "sang": "sing", "flew": "fly", "flown": "fly",
    "spoke": "speak", "spoken": "speak", "chose": "choose", "chosen": "choose", "froze": "freeze",
    "woke": "wake", "sought": "seek", "dealt": "deal", "bent": "bend",
    "drew": "draw", "drawn": "draw", "threw": "throw", "thrown": "throw", "wore": "wear", "worn": "wear",
    "tore": "tear", "torn": "tear", "hid": "hide", "hidden": "hide", "forgot": "forget",
    "forgotten": "forget", "understood": "understand", "stood": "stand", "sat": "sit", "slept": "sleep",
    "swept": "sweep", "felt": "feel", "heard": "hear", "led": "lead", "lost": "lose", "meant": "mean",
    "paid off": "pay",
    # re- forms of the irregular ones, and a few more verbs of titles (round 15: "rebuilt the carburettor")
    "rebuilt": "rebuild", "remade": "remake", "rewrote": "rewrite", "rewritten": "rewrite",
    "retook": "retake", "retaken": "retake", "resold": "resell", "rehung": "rehang", "redrew": "redraw",
    "redrawn": "redraw", "dug": "dig", "sewn": "sew", "mown": "mow", "bled": "bleed", "laid": "lay",
    "withdrew": "withdraw", "withdrawn": "withdraw",
    # British -t past forms (round 11: "learnt my lines")
    "learnt": "learn", "spelt": "spell", "burnt": "burn", "dreamt": "dream", "leapt": "leap",
    "knelt": "kneel", "spilt": "spill", "smelt": "smell", "spoilt": "spoil", "dwelt": "dwell",
    # round 17: more irregular pasts of verbs people put in titles ("rode the loop", "shook out the rugs");
    # not the ones that are everyday nouns ("ground", "wound", "rose") nor things that happen to a task's
    # object ("broke", "stolen", "sank", "blew", "stuck": "the boiler broke" is no report of a task done)
    "rode": "ride", "ridden": "ride", "shook": "shake", "swung": "swing", "spun": "spin", "grew": "grow",
    "grown": "grow", "knew": "know", "shown": "show", "drank": "drink", "forgave": "forgive",
    "forgiven": "forgive", "overtook": "overtake", "overtaken": "overtake", "undertook": "undertake",
    "undertaken": "undertake", "redid": "redo", "redone": "redo", "retold": "retell", "oversaw": "oversee",
    "overseen": "oversee", "underwent": "undergo", "undergone": "undergo", "upheld": "uphold",
    "withheld": "withhold", "foresaw": "foresee", "foreseen": "foresee", "outgrew": "outgrow",
    "sped": "speed", "bred": "breed", "strode": "stride", "wove": "weave", "woven": "weave",
}  # fmt: skip
# verbs whose past tense is the infinitive ("I read the audit", "we cut the hedge"): a past tense only after
# a subject, never as a command ("read the audit") (round 17)
SAME_IN_THE_PAST = frozenset(
    "read reread proofread put set reset cut shut let spread quit cast recast".split()
)
# past forms that are also the infinitive: "cut", "put", "set", "read", "hit", "shut" need no entry
SYNONYMS = {"mum": "mom", "mommy": "mom", "mother": "mom", "dad": "dad", "father": "dad", "doc": "doctor"}
PAST_TENSE = frozenset(k for k in IRREGULAR if " " not in k)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    w = word.lower().strip(".,!?;:\"()[]'`\u2019")
    if w.endswith(("'s", "\u2019s")):
        w = w[:-2]
    w = SYNONYMS.get(w, w)
    w = IRREGULAR.get(w, w)
    if len(w) < 3 or not w.isalpha():
        return w  # numbers, "1:1", short words: nothing to stem (and snowball is the slow part)
    return str(_STEMMER.stemWord(w))


def is_past(word: str) -> bool:
    """A past tense or participle ("called", "paid"), as in "called mom": the task is done."""
    w = word.lower()
    return w in PAST_TENSE or (len(w) > 4 and w.endswith("ed") and w not in {"need", "needed", "bed", "red"})


def _base(word: str) -> str:
    w = word.lower().strip(".,!?;:\"()[]'`\u2019")
    if w.endswith(("'s", "\u2019s")):
        w = w[:-2]
    w = SYNONYMS.get(w, w)
    return IRREGULAR.get(w, w)


@lru_cache(maxsize=65536)
def forms(word: str) -> frozenset[str]:
    """The regular inflections of a word: call -> calls, called, calling; fix -> fixes; grocery -> groceries;
    update -> updated, updating; plan -> planned, planning."""
    w = _base(word)
    out = {w, w + "s", w + "ed", w + "ing"}
    if w.endswith(("s", "x", "z", "ch", "sh", "o")):
        out.add(w + "es")
    if w.endswith("e"):
        out |= {w + "d", w[:-1] + "ing"}
    if w.endswith("y") and len(w) > 2:
        out |= {w[:-1] + "ies", w[:-1] + "ied"}
    if len(w) >= 3 and w[-1] not in "aeiouwxy" and w[-2] in "aeiou" and w[-3] not in "aeiou":
        out |= {w + w[-1] + "ed", w + w[-1] + "ing"}
    return frozenset(out)


@lru_cache(maxsize=65536)
def same_word(typed: str, word: str) -> bool:
    """`typed` is `word` or one of its inflections (or the other way round): as typed, not a guess. A typo
    that happens to share a stem ("groceris" ~ "groceries") is not the same word."""
    a, b = _base(typed), _base(word)
    return a == b or a in forms(b) or b in forms(a)
