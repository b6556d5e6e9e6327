"""A trained sequence tagger for the edges of an add's title (round 6; Rasa-style entity extraction beside the
intent classifier).

The rules take a title as "everything after the add verb, less the date and the priority", and each fresh
batch of phrasings found a lead-in or a trailer they did not know left in the title ("not forget to email the
school", "me, wash the duvet", "pls: return the library dvd", "order more dog food at some point" — a third
of the development failures, round 6's diagnosis). This model labels each word of the rules' title as
lead-in (`L`), title (`T`) or trailer (`R`), in that order only (L* T+ R*), from features of the word and its
neighbours: the word, its shape and punctuation, whether it is a closed-class word, whether it starts titles
in the training data, the words around it. A lead-in it cuts must end with a closed-class word or a separator.
Trained offline (`services/chatbot/training/train_title.py`: an averaged structured perceptron on the
development phrasings' add titles and on titles x lead-in/trailer frames), exported to `title_model.json` and
applied here in pure Python (Viterbi over three states): deterministic, offline, ~0.1 ms a title.

It only ever cuts words off the edges of a title the rules already read, and only when the best path beats
keeping the whole title by `MARGIN` (chosen by cross-validation); a title that is quoted is left alone. An add
is not destructive, so no guard is needed beyond that; what it cuts is shown in the reply ("Added #3 …").

`features()` is the one definition of the features, used by the training script and at run time."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from todo_chatbot.nlu.classifier import read_weights
from todo_chatbot.nlu.stems import is_past

MODEL_FILE = Path(__file__).with_name("title_model.json")
LABELS = ("L", "T", "R")
# allowed label transitions (L* T+ R*); the first word is L or T, the last T or R
_NEXT = {"L": ("L", "T"), "T": ("T", "R"), "R": ("R",)}
MAX_WORDS = 40
MARGIN = 2.0  # the cut must beat the whole title by this much (chosen by cross-validation, train_title.py)
# closed-class English words (pronouns, auxiliaries and modals, particles, politeness, fillers): the words
# frames are made of, so a frame the training never had still looks like one
FUNCTION_WORDS = frozenset(
    "i me my we us our you your it its that this there here he she they them i'm i've i'll i'd we're we've"
    " we'll we'd it's that's there's need needs have has had having must should ought will would could can"
    " might may shall be being been am is are was were do does did don't doesn't didn't won't can't got"
    " gotta gonna wanna going want wants like to not no so and also just really maybe probably definitely"
    " please pls plz kindly thanks thank ok okay oh btw fyi plus too as well for of about on at in with by"
    " then now later soon still again remember forget forgetting reminder remind note memo task todo list"
    " some sometime time when if or something anything better try make sure keep meaning supposed meant"
    " promised hope hoping plan planning intend mean think guess".split()
)
# a lead-in ends with one of these (or a separator: "note:", "me,", "urgent -"): the title starts after a
# closed-class word, never at a content verb ("make a cake for mum" keeps its "make")
LEAD_END = frozenset(
    "to that i we me so and also just please pls plz must should better gotta can could might will would"
    " shall ok okay oh btw fyi plus then now maybe probably definitely really kindly quickly possibly ideally"
    " of for about i'll i'd we'll we'd i'm down".split()
)
# a title does not start with these after an infinitive "to" (so "a trip to the coast" keeps its trip)
DETERMINERS = frozenset("the a an my your his her our their this that these those".split())
# a trailer starts with one of these (or after a separator: "…, thanks"): "send the rent reminder" keeps its
# last word
TRAIL_START = frozenset(
    "at on to in into onto for when whenever if please pls plz thanks thank thx cheers ta ok okay x as before"
    " so or i too also eventually sometime sometimes later again some asap soon maybe one by".split()
)
# a trailer starting with "to"/"into"/"onto" is cut only when it names where the task goes ("… to my list"),
# never a destination that is part of the task ("take the bins round to gran's")
TO_TRAIL = frozenset("to into onto".split())
# a particle that ends a phrasal verb when it is the last word: "get the boiler looked at", "get the gutters
# seen to" (round 13: the tagger had cut "at")
PARTICLES = frozenset("at on in to into onto for by up out off with about over through".split())
# a trailer starting with a thank-you is cut only when every word of it is politeness ("…, thanks a lot"),
# never "… a thank you card" (round 9)
THANKS_START = frozenset("thanks thank thx cheers ta".split())
POLITE = frozenset(
    "thanks thank you thx cheers ta very much so a lot lots loads bunch mate pals pal buddy love x xx please"
    " pls plz in advance again".split()
)
LIST_WORDS = frozenset("list lists to-do todo todos tasks jobs things reminders board agenda planner".split())
_QUOTES = "\"'\u201c\u201d\u2018\u2019"
_EDGE = "\"'\u201c\u201d\u2018\u2019,;:.!?()-\u2013\u2014"


def _norm(token: str) -> str:
    return token.lower().strip(_EDGE) or token.lower()


def _shape(token: str) -> str:
    core = token.strip(_EDGE)
    if not core:
        return "punct"
    if core.isdigit():
        return "num"
    if re.fullmatch(r"\d+(st|nd|rd|th)", core.lower()):
        return "ord"
    if core[0].isupper():
        return "cap"
    return "low"


def features(tokens: list[str], i: int, starters: frozenset[str]) -> list[str]:
    """The features of word `i` of a title; `starters` are the words that start titles in training."""
    w = _norm(tokens[i])
    prev = _norm(tokens[i - 1]) if i > 0 else "<s>"
    prev2 = _norm(tokens[i - 2]) if i > 1 else "<s>"
    nxt = _norm(tokens[i + 1]) if i + 1 < len(tokens) else "</s>"
    nxt2 = _norm(tokens[i + 2]) if i + 2 < len(tokens) else "</s>"
    raw = tokens[i]
    out = [
        "bias",
        f"w={w}",
        f"p={prev}",
        f"n={nxt}",
        f"pw={prev}|{w}",
        f"wn={w}|{nxt}",
        f"p2={prev2}",
        f"n2={nxt2}",
        f"shape={_shape(raw)}",
        f"suf={w[-3:]}",
        f"first={i == 0}",
        f"last={i == len(tokens) - 1}",
        f"pos={min(i, 4)}",
        f"fromend={min(len(tokens) - 1 - i, 4)}",
        f"starter={w in starters}",
        f"fn={w in FUNCTION_WORDS}",
        f"pfn={prev in FUNCTION_WORDS}|{w in FUNCTION_WORDS}",
        f"fnn={w in FUNCTION_WORDS}|{nxt in FUNCTION_WORDS}",
        f"pstarter={prev in starters}",
        f"nstarter={nxt in starters}",
    ]
    if raw.endswith((":", ",", "-", ";")) or raw in ("-", "--", "\u2013", "\u2014"):
        out.append(f"ends{raw[-1]}")
    if i > 0 and tokens[i - 1].endswith((":", ",", ";", "-")):
        out.append(f"after{tokens[i - 1][-1]}")
    if raw[:1] in _QUOTES:
        out.append("openquote")
    if raw[-1:] in _QUOTES or raw.rstrip(",.;:!?")[-1:] in _QUOTES:
        out.append("closequote")
    return out


class TitleTagger:
    def __init__(self, model: dict[str, object]) -> None:
        # feature -> {label: weight}
        self.weights: dict[str, dict[str, float]] = {
            f: {k: float(v) for k, v in row.items()}
            for f, row in model["weights"].items()  # type: ignore[attr-defined]
        }
        self.transitions: dict[str, float] = {
            k: float(v)
            for k, v in model["transitions"].items()  # type: ignore[attr-defined]
        }
        self.starters = frozenset(model["starters"])  # type: ignore[call-overload]
        self.margin = float(model.get("margin", MARGIN))  # type: ignore[arg-type]
        self.training_hash = int(model.get("training_hash", 0))  # type: ignore[call-overload]

    def scores(self, tokens: list[str]) -> list[dict[str, float]]:
        out = []
        for i in range(len(tokens)):
            s = dict.fromkeys(LABELS, 0.0)
            for f in features(tokens, i, self.starters):
                row = self.weights.get(f)
                if row:
                    for label, w in row.items():
                        s[label] += w
            out.append(s)
        return out

    def best(self, tokens: list[str]) -> tuple[list[str], float]:
        """The best L* T+ R* labelling and its score above that of labelling every word T."""
        if not tokens:
            return [], 0.0
        emit = self.scores(tokens)
        trans = self.transitions
        # Viterbi over the three states with the order constraint
        best: dict[str, tuple[float, list[str]]] = {
            label: (emit[0][label] + trans.get(f"<s>>{label}", 0.0), [label]) for label in ("L", "T")
        }
        for i in range(1, len(tokens)):
            step: dict[str, tuple[float, list[str]]] = {}
            for prev, (score, path) in best.items():
                for label in _NEXT[prev]:
                    cand = score + trans.get(f"{prev}>{label}", 0.0) + emit[i][label]
                    if label not in step or cand > step[label][0]:
                        step[label] = (cand, [*path, label])
            best = step
        finals = [(s + trans.get(f"{k}></s>", 0.0), p) for k, (s, p) in best.items() if k in ("T", "R")]
        score, path = max(finals, key=lambda sp: sp[0])
        keep = (
            sum(e["T"] for e in emit)
            + trans.get("<s>>T", 0.0)
            + trans.get("T>T", 0.0) * (len(tokens) - 1)
            + trans.get("T></s>", 0.0)
        )
        return path, score - keep

    def trim(self, title: str) -> tuple[str, str]:
        """The title without the lead-in and trailer words the model finds (or as it was), and the words
        cut."""
        tokens = title.split()
        if len(tokens) < 2 or len(tokens) > MAX_WORDS or (title[0] in _QUOTES and title[-1] in _QUOTES):
            return title, ""
        path, gain = self.best(tokens)
        if gain < self.margin or ("L" not in path and "R" not in path):
            return title, ""
        lead = [t for t, label in zip(tokens, path, strict=True) if label == "L"]
        if lead and not (lead[-1].endswith((":", ",", "-", ";")) or _norm(lead[-1]) in LEAD_END):
            return title, ""
        kept_first = next((t for t, label in zip(tokens, path, strict=True) if label == "T"), "")
        if lead and _norm(lead[-1]) == "to" and _norm(kept_first) in DETERMINERS:
            return title, ""  # "a trip to the coast": that "to" is a preposition, not "(need) to"
        trail = [i for i, label in enumerate(path) if label == "R"]
        if trail and not (
            _norm(tokens[trail[0]]) in TRAIL_START or tokens[trail[0] - 1].endswith((",", ";", "-"))
        ):
            return title, ""
        if trail == [len(tokens) - 1] and _norm(tokens[-1]) in PARTICLES and is_past(_norm(tokens[-2])):
            # "get the boiler looked at": a lone last particle after a participle ends its verb (round 13);
            # "put 'call nan' on for sunday" still cuts "on"
            return title, ""
        if (
            trail
            and _norm(tokens[trail[0]]) in THANKS_START
            and not {_norm(tokens[i]) for i in trail} <= POLITE
        ):
            return title, ""  # "send Gran a thank you card": a thank-you is cut only when it is all thanks
        if (
            trail
            and _norm(tokens[trail[0]]) in TO_TRAIL
            and not {_norm(tokens[i]) for i in trail} & LIST_WORDS
        ):
            return title, ""
        kept = [t for t, label in zip(tokens, path, strict=True) if label == "T"]
        cut = " ".join(t for t, label in zip(tokens, path, strict=True) if label != "T")
        text = " ".join(kept).strip(",;:- \u2013\u2014")
        if len(text) >= 2 and text[0] in _QUOTES and text[-1] in _QUOTES:
            text = text[1:-1].strip()
        text = text.rstrip(".!?").strip()
        return (text, cut) if text else (title, "")


@lru_cache(maxsize=4)
def load(path: Path = MODEL_FILE) -> TitleTagger:
    return TitleTagger(read_weights(path, "train_title.py"))
