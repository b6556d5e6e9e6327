"""One chat turn: parse the message, resolve the task it names, call the backend, answer, remember context."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import logging
import re
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from todo_chatbot.backend import TURN_WRITES, BackendClient, BackendNotFound, BackendRejected, Task
from todo_chatbot.core.limits import TurnLimits
from todo_chatbot.core.metrics import CONVERSATION_WRITES, LATE_WRITE_FAILURES
from todo_chatbot.crud import ConversationState, ConversationStore, OpenedTurn
from todo_chatbot.nlu.intent import ChatIntent, Intent, ListFilter, NLUContext, NLUProvider, TaskRef
from todo_chatbot.nlu.rules import NEGATED_ADD_GUESS, SCRATCH_THAT_GUESS, clean, negated_undo, title_problem
from todo_chatbot.nlu.stems import stem
from todo_chatbot.resolve import (
    MAX_TASKS,
    Resolution,
    described_not_done,
    resolve,
    whole_title_then_more,
)

log = logging.getLogger("todo_chatbot")

HELP_TEXT = (
    "I manage your tasks. Try:\n"
    "- 'add water the plants tomorrow' or 'create a high priority task to file taxes by Dec 5'\n"
    "- 'show my tasks', 'what is due this week?', 'show overdue tasks', 'how many tasks are done?'\n"
    "- 'mark task 2 done', 'reopen #2', 'rename task 2 to call grandma', 'move taxes to next friday'\n"
    "- 'delete the milk one', 'clear completed tasks'\n"
    "Refer to a task by its number ('task 2', '#2'), by words of its title, or as 'it' for the last one we"
    " talked about."
)
UNKNOWN_TEXT = (
    "Sorry, I can't help with that. I can add, list, count, complete, reopen, update and delete your tasks: "
    "try 'add call mom tomorrow', 'show my tasks' or 'help'."
)
REFUSALS = {
    "other_user": "I can only see and change your own tasks, so I can't do anything with other users' tasks.",
    "bulk_delete": (
        "I won't delete all your tasks at once. Delete them one at a time ('delete task 2'), "
        "or say 'clear completed' to remove the ones you finished."
    ),
}
VERB = {
    Intent.COMPLETE: "mark as done",
    Intent.REOPEN: "reopen",
    Intent.UPDATE: "change",
    Intent.DELETE: "delete",
}
IDENTITY_CACHE_SIZE = 4096
KNOWN_COUNTS_SIZE = 4096
# how long a shutdown waits for the conversation writes still running after their replies (the chart gives a
# pod 30 s between SIGTERM and SIGKILL; a write is one statement)
DRAIN_SECONDS = 10.0
DESTRUCTIVE = {Intent.DELETE, Intent.CLEAR_COMPLETED, Intent.COMPLETE, Intent.REOPEN}
# reached through a typo correction or a typo-tolerant title match, these ask for a yes first (issue 11)
GUESS_ASKS = {Intent.DELETE, Intent.COMPLETE}
# "X isn't urgent any more" (`ChatIntent.priority_down`): one step down from the task's priority (round 16)
STEP_DOWN = {"high": "medium", "medium": "low", "low": "low"}
# several tasks match: the question ends the reply, as every question does (round 14)
WHICH_ONE = "Several tasks match: {listing}. Which one should I {verb} (answer with its number)?"


@dataclass
class ChatResult:
    reply: str
    conversation_id: str
    intent: str
    actions: list[dict[str, Any]] = field(default_factory=list)
    # where the turn's time went, in ms: db (the chatbot's own database: rate counters, conversation),
    # backend (the calls to the backend: its tasks, the write), nlu (parsing); the route adds total (its
    # whole handler) and chatbot (total less db and backend: the chatbot's own work)
    timings: dict[str, float] = field(default_factory=dict)

    def server_timing(self) -> str:
        """The `Server-Timing` header value (shown by browsers' dev tools, read by the benchmark)."""
        return ", ".join(f"{name};dur={ms:.2f}" for name, ms in self.timings.items())


@dataclass
class Turn:
    token: str
    state: ConversationState
    context: NLUContext
    tasks: list[Task]  # all the user's tasks as the turn began
    actions: list[dict[str, Any]] = field(default_factory=list)


Context = tuple[Any, Any, int | None, list[int]]
# the route's housekeeping once a turn's write has landed: (conversation id, new conversation?) -> what to
# run after it, or None for nothing
AfterWrite = Callable[[str, bool], Coroutine[Any, Any, None] | None]


def context_of(state: ConversationState) -> Context:
    """What a turn reads of its conversation to act on: the question waiting for an answer, the change
    "undo" reverts, the task "it" names, the list "the second one" counts in."""
    return (
        copy.deepcopy(state.pending),
        copy.deepcopy(without_age(state.last_change)),
        state.last_task_number,
        list(state.listed_numbers),
    )


def without_age(change: dict[str, Any] | None) -> dict[str, Any] | None:
    """The change as `context_of` compares it: without its age in turns (aged)."""
    return None if change is None else {k: v for k, v in change.items() if k != "turns"}


def aged(state: ConversationState, before: dict[str, Any] | None) -> None:
    """A change this turn did not make is one turn older: "don't delete it" undoes only a delete made in the
    turn just before (round 15); "undo" still reverts the last change, however old."""
    if before is not None and state.last_change is before:
        state.last_change = {**before, "turns": int(before.get("turns", 0)) + 1}


def stale_read_is_harmless(before: Context, after: Context) -> bool:
    """True when a turn that reads `before` (the conversation as the database has it until this turn's write
    lands) can do nothing that a turn reading `after` would not: each part is unchanged, or was empty
    (no question: "yes" has nothing to confirm; no change: nothing to undo; no "it", no list: "which
    task?"). Only then is the write made after the reply: a follow-up on ANOTHER replica, which the
    in-process order does not cover, may read the conversation before the write lands."""
    return all(old == new or old is None or old == [] for old, new in zip(before, after, strict=True))


def describe(task: Task) -> str:
    parts = [f"#{task['number']} {task['title']}"]
    extras = []
    if task.get("due_date"):
        extras.append(f"due {date.fromisoformat(task['due_date']):%a %Y-%m-%d}")
    if task.get("priority") and task["priority"] != "medium":
        extras.append(f"{task['priority']} priority")
    if task.get("completed"):
        extras.append("done")
    return parts[0] + (f" ({', '.join(extras)})" if extras else "")


def title_vocabulary(tasks: list[Task]) -> frozenset[str]:
    """The lower-case words of the user's titles (bounded: the first MAX_TASKS tasks, 400 characters each)."""
    return frozenset(w for t in tasks[:MAX_TASKS] for w in re.findall(r"[\w']+", t["title"][:400].lower()))


def undo_destroys(change: dict[str, Any], tasks: list[Task]) -> bool:
    """Undoing `change` would delete a task (an add undone) or mark one done (a reopening undone)."""
    if change["kind"] == "created":
        return True
    now = {t["number"]: t for t in tasks}
    return change["kind"] == "updated" and any(
        saved.get("completed") and not now.get(saved["number"], {}).get("completed", True)
        for saved in change["tasks"]
    )


def change_is(change: dict[str, Any], guessed: str, tasks: list[Task]) -> bool:
    """The last change is what "don't <verb> it" (`guessed`, the rules' reading) says not to do: a delete
    for "a request not to delete it", a completion for "… not to complete it"; nothing else is."""
    if guessed.endswith("not to delete it"):
        return bool(change["kind"] == "deleted")
    if guessed.endswith("not to complete it"):
        now = {t["number"]: t for t in tasks}
        return change["kind"] == "updated" and any(
            not saved.get("completed") and now.get(saved["number"], {}).get("completed", False)
            for saved in change["tasks"]
        )
    return False


def unadded(intent: ChatIntent, pending: dict[str, Any] | None, change: dict[str, Any] | None) -> ChatIntent:
    """ "don't add that" (rules.NEGATED_ADD_GUESS) right after an add in this conversation, naming it ("that",
    or words of the task just added: "don't add milk"): an undo of that add — the task the bot just made
    (round 17). Otherwise nothing changes (the CANCEL stands: with a question waiting, no to it)."""
    if pending is not None or change is None or change.get("turns") or change["kind"] != "created":
        return intent
    if intent.ref is None or not (intent.ref.pronoun or names_the_added(intent.ref.words or "", change)):
        return intent
    return ChatIntent(intent=Intent.UNDO)


def names_the_added(words: str, change: dict[str, Any]) -> bool:
    """Every word said is a word of the task just added."""
    said = {stem(w) for w in re.findall(r"[\w']+", words.lower()[:200])}
    added = {stem(w) for t in change["tasks"] for w in re.findall(r"[\w']+", str(t.get("title", "")).lower())}
    return bool(said) and said <= added


def scratched(
    intent: ChatIntent, pending: dict[str, Any] | None, change: dict[str, Any] | None
) -> ChatIntent:
    """ "scratch that" (rules.SCRATCH_THAT): with a question waiting, no to it; right after an add, a delete
    of the task just added (as before: the same as undoing it); right after another change, undoing that
    change (round 16: after an edit it deleted the edited task at once); else a delete of "that", asked
    first."""
    if pending is not None:
        return ChatIntent(intent=Intent.CANCEL)
    if change is None or change.get("turns"):
        return intent  # the guess stands: the delete asks
    if change["kind"] == "created":
        return intent.model_copy(update={"guessed": None})
    return ChatIntent(intent=Intent.UNDO)


def snapshot(task: Task) -> dict[str, Any]:
    """What undo needs to put a task back as it was."""
    return {k: task.get(k) for k in ("number", "title", "description", "due_date", "priority", "completed")}


def filter_tasks(tasks: list[Task], f: ListFilter, today: date) -> list[Task]:
    def keep(task: Task) -> bool:
        if f.status != "all" and task["completed"] != (f.status == "completed"):
            return False
        if f.priority and task["priority"] != f.priority:
            return False
        if f.due is None and f.on is None and f.until is None:
            return True
        due = date.fromisoformat(task["due_date"]) if task.get("due_date") else None
        if due is None:
            return False
        if f.due is None and f.until is not None:
            return today <= due <= f.until
        if f.due is None:
            return due == f.on
        monday = today - timedelta(days=today.weekday())
        return {
            "today": due == today,
            "tomorrow": due == today + timedelta(days=1),
            "week": monday <= due <= monday + timedelta(days=6),
            "next_week": monday + timedelta(days=7) <= due <= monday + timedelta(days=13),
            "overdue": due < today and not task["completed"],
        }[f.due]

    return [t for t in tasks if keep(t)]


def describe_filter(f: ListFilter) -> str:
    words = {"all": "", "pending": "pending ", "completed": "completed "}[f.status]
    words += f"{f.priority}-priority " if f.priority else ""
    due = {
        None: "",
        "today": " due today",
        "tomorrow": " due tomorrow",
        "week": " due this week",
        "next_week": " due next week",
        "overdue": " overdue",
    }
    on = f" due {f.on:%a %Y-%m-%d}" if f.on is not None and f.due is None and f.until is None else ""
    if f.until is not None and f.due is None:
        on = f" due by {f.until:%a %Y-%m-%d}"
    return f"{words}task{{s}}{due[f.due]}{on}"


class ChatService:
    def __init__(self, backend: BackendClient, store: ConversationStore, provider: NLUProvider) -> None:
        self.backend = backend
        self.store = store
        self.provider = provider
        # sha256(token) -> user id from GET /api/auth/me: a token's owner never changes, and each message
        # still has the backend check the token (GET /api/tasks), so an expired or revoked token stays a 401
        self._identities: OrderedDict[str, str] = OrderedDict()
        # conversation id -> the write (and housekeeping) of its last turn, still running after the reply: the
        # conversation's next turn on this replica waits for it before it reads the conversation
        self._writes: dict[str, asyncio.Task[None]] = {}
        # account counter key -> hits of turns already answered whose write has not landed yet: added to the
        # database's count when the account's next message is admitted
        self._unwritten_hits: Counter[str] = Counter()
        # counter key -> (window, hits) as this replica last saw them: decides whether the counters are read
        # beside the backend's task list (well below the limits) or before it
        self._known: OrderedDict[str, tuple[int, int]] = OrderedDict()
        self.write_after_reply = True

    def _note(self, key: str, window: int, hits: int | None) -> None:
        if hits is None:
            return
        self._known[key] = (window, hits)
        self._known.move_to_end(key)
        if len(self._known) > KNOWN_COUNTS_SIZE:
            self._known.popitem(last=False)

    def _well_below(self, limits: TurnLimits) -> bool:
        """This message keeps the address and the account at most at half their limits, as far as this
        replica knows (its last count of each in the current window, plus the account's unwritten hits)."""
        for counted, rate in ((limits.address, limits.address_rate), (limits.account, limits.account_rate)):
            if counted is None:
                continue
            window, hits = self._known.get(counted.key, (counted.window, 0))
            hits = hits if window == counted.window else 0
            if 2 * (hits + self._unwritten_hits[counted.key] + 1) > rate.limit:
                return False
        return True

    async def _after_earlier_write(self, conversation_id: str | None) -> None:
        """This replica's order per conversation: the last turn's write lands before this turn reads it
        (asyncio.wait: a cancelled request does not cancel that write; its failure is not this turn's)."""
        earlier = self._writes.get(conversation_id) if conversation_id else None
        if earlier is not None:
            await asyncio.wait([earlier])

    async def drain(self, timeout: float = DRAIN_SECONDS) -> int:
        """Wait for the writes still running after their replies (at shutdown); how many did not finish."""
        running = set(self._writes.values())
        if not running:
            return 0
        _, unfinished = await asyncio.wait(running, timeout=timeout)
        if unfinished:
            log.error(
                "shutdown: %d conversation writes did not finish within %.0f s", len(unfinished), timeout
            )
        return len(unfinished)

    def _after_reply(
        self,
        conversation_id: str,
        write: Callable[[], Coroutine[Any, Any, int | None]] | None,
        limits: TurnLimits | None,
        follow_up: Coroutine[Any, Any, None] | None,
    ) -> None:
        """Run the turn's write (if not done already) and then `follow_up`, after the reply has gone, as the
        conversation's pending task."""
        account = limits.account if limits else None
        if write is not None and account is not None:
            self._unwritten_hits[account.key] += 1

        async def run() -> None:
            try:
                if write is not None:
                    try:
                        hits = await write()
                    except Exception:  # the user has the reply (and the backend the task); this turn's
                        # context, messages and account count are what is lost
                        LATE_WRITE_FAILURES.inc()
                        log.exception("conversation %s: the write after the reply failed", conversation_id)
                        return
                    finally:
                        if account is not None:
                            self._unwritten_hits[account.key] -= 1
                            if self._unwritten_hits[account.key] <= 0:
                                del self._unwritten_hits[account.key]
                    if account is not None:
                        self._note(account.key, account.window, hits)
                if follow_up is not None:
                    try:
                        await follow_up
                    except Exception:
                        log.exception("conversation %s: housekeeping after the reply failed", conversation_id)
            finally:
                if follow_up is not None:
                    follow_up.close()  # not run (the write failed, or shutdown cancelled it): no warning
                if self._writes.get(conversation_id) is task:
                    del self._writes[conversation_id]

        task = asyncio.get_running_loop().create_task(run())
        self._writes[conversation_id] = task

    def _remember(self, token_key: str, user_id: str) -> str:
        self._identities[token_key] = user_id
        if len(self._identities) > IDENTITY_CACHE_SIZE:
            self._identities.popitem(last=False)
        return user_id

    async def handle(
        self,
        token: str,
        message: str,
        conversation_id: str | None,
        client_time: datetime | None,
        limits: TurnLimits | None = None,
        after_write: AfterWrite | None = None,
    ) -> ChatResult:
        """One turn. What `after_write(conversation_id, is_new)` returns runs once the turn's write has
        landed, after the reply (the route's housekeeping: trimming the user's old conversations)."""
        # Two statements of the chatbot's database and one backend round trip (plus the write, if any): the
        # rate counters and the conversation in one statement, beside (or, near a limit, before) the user's
        # tasks (this call also checks the token: a rejected one is a 401) and, the first time a token is
        # seen, whom it belongs to; after the answer the conversation, its messages and the account's counter
        # in one statement, made after the reply has gone when no other replica could be misled by reading
        # the conversation before it lands (stale_read_is_harmless).
        clock = time.perf_counter
        started = clock()
        await self._after_earlier_write(conversation_id)
        waited = clock()
        address, account = (limits.address, limits.account) if limits else (None, None)
        token_key = hashlib.sha256(token.encode()).hexdigest()
        known = self._identities.get(token_key)
        spans: dict[str, float] = {}

        async def look_up() -> tuple[list[Task], str]:
            sent = clock()
            try:
                if known:  # the usual case: one call, awaited as it is (no gather of one)
                    return await self.backend.list_tasks(token), known
                tasks, me = await asyncio.gather(self.backend.list_tasks(token), self.backend.me(token))
                return tasks, self._remember(token_key, str(me["id"]))
            finally:
                spans["backend"] = clock() - sent

        def admit(opened: OpenedTurn) -> None:
            if limits:
                if address is not None:
                    self._note(address.key, address.window, opened.hits)
                if account is not None:
                    self._note(account.key, account.window, opened.peeked or 0)
                limits.admit(opened, self._unwritten_hits[account.key] if account else 0)

        opening = self.store.open_turn(conversation_id, address, account)
        if limits is None or self._well_below(limits):
            # side by side: a message refused here has cost the backend one read of the tasks, nothing more
            got = await asyncio.gather(opening, look_up(), return_exceptions=True)
            opened_at = looked_up = clock()
            if isinstance(got[0], BaseException):
                raise got[0]  # the database's error first, as when it is asked first
            admit(got[0])  # RateLimited: nothing is answered or changed
            if isinstance(got[1], BaseException):
                raise got[1]
            opened, (tasks, user_id) = got[0], got[1]
            db_ms = (looked_up - waited) - spans["backend"]  # the part not hidden behind the backend call
        else:
            # near a limit: a rate-limited message is refused before the backend is asked anything
            opened = await opening
            opened_at = clock()
            admit(opened)
            tasks, user_id = await look_up()
            looked_up = clock()
            db_ms = opened_at - waited
        state = self.store.owned_by(user_id, opened.found)
        read = context_of(state)
        begun = opened.begun or datetime.now(UTC)
        today = (client_time or datetime.now().astimezone()).date()
        pending = state.pending
        context = NLUContext(
            today=today,
            last_task_number=state.last_task_number,
            listed_numbers=state.listed_numbers,
            awaiting=pending["awaiting"] if pending else None,
            vocabulary=title_vocabulary(tasks),
        )
        text = clean(message)
        try:
            intent = await self.provider.parse(text, context)
        except Exception:  # a provider bug must cost the user one unanswered phrasing, not a 500
            log.exception("NLU provider %s failed on a message; answering as unknown", self.provider.name)
            intent = ChatIntent(intent=Intent.UNKNOWN)
        parsed = clock()
        turn = Turn(token, state, context, tasks)
        state.pending = None
        writes: list[float] = []
        TURN_WRITES.set(writes)
        before = state.last_change
        if intent.intent is Intent.DELETE and intent.guessed == SCRATCH_THAT_GUESS:
            intent = scratched(intent, pending, before)
        if intent.intent is Intent.CANCEL and intent.guessed == NEGATED_ADD_GUESS:
            intent = unadded(intent, pending, before)
        reply = await self._answer(intent, pending, text, turn)
        aged(state, before)
        answered = clock()

        def write() -> Coroutine[Any, Any, int | None]:
            return self.store.close_turn(user_id, state, text, reply, intent.intent.value, account, begun)

        if self.write_after_reply and stale_read_is_harmless(read, context_of(state)):
            CONVERSATION_WRITES.labels(when="after_reply").inc()
            follow_up = after_write(state.id, state.is_new) if after_write else None
            self._after_reply(state.id, write, limits, follow_up)
        else:
            CONVERSATION_WRITES.labels(when="before_reply").inc()
            hits = await write()
            if account is not None:
                self._note(account.key, account.window, hits)
            # the answer went out; past its limit, the account's next message gets the 429
            follow_up = after_write(state.id, state.is_new) if after_write else None
            if follow_up is not None:
                self._after_reply(state.id, None, limits, follow_up)
        closed = clock()
        timings = {
            "db": (waited - started) + db_ms + (closed - answered),
            "backend": spans["backend"] + sum(writes),
            "nlu": parsed - looked_up,
        }
        ms = {k: v * 1000 for k, v in timings.items()}
        return ChatResult(reply, state.id, intent.intent.value, turn.actions, ms)

    async def _answer(self, intent: ChatIntent, pending: dict[str, Any] | None, text: str, turn: Turn) -> str:
        said_not = negated_undo(text) if intent.intent is Intent.UNDO else None
        if said_not is not None:
            # "no wait, don't delete that!": the negated request below decides (review fix)
            intent = intent.model_copy(
                update={"intent": Intent.CANCEL, "guessed": said_not, "ref": TaskRef(pronoun=True)}
            )
        if intent.intent is Intent.UNDO:
            change = turn.state.last_change
            if intent.guessed and change and undo_destroys(change, turn.tasks):
                # the classifier, not the rules, read "undo", and undoing would delete or complete a task
                return self._ask_confirm(intent, turn, f"Should I undo the last change (I {intent.guessed})?")
            return await self._undo(turn)
        if intent.intent is Intent.CANCEL and intent.guessed is not None:
            # "don't delete that!" (a negated destroying request, round 14): right after a delete or a
            # completion it takes that change back; otherwise nothing changes, and the reply says so
            # (review fix) only when the last change is exactly what is said not to be done: a delete for
            # "don't delete it", a completion for "don't mark it done"; a question waiting is just declined
            if pending is not None:
                return "OK, I won't do that."
            change = turn.state.last_change
            if (
                change
                and not change.get("turns")  # made in the turn just before this one
                and intent.ref is not None
                and intent.ref.pronoun
                and change_is(change, intent.guessed, turn.tasks)
                and not undo_destroys(change, turn.tasks)
            ):
                return await self._undo(turn)
            if intent.guessed == NEGATED_ADD_GUESS:
                return "OK, I won't add it: nothing has changed."
            return "OK, I won't do that: nothing has changed."
        if pending is not None:
            asked = ChatIntent.model_validate(pending["intent"])
            if intent.intent is Intent.CANCEL:
                return "OK, I won't do that."
            if pending["awaiting"] == "confirm" and intent.intent is Intent.CONFIRM:
                return await self._run(asked, turn, confirmed=True, numbers=pending.get("numbers"))
            if (
                pending["awaiting"] == "reference"
                and intent.intent is Intent.UNKNOWN
                and intent.refusal is None
            ):
                # the answer to "which task?": a number, "the second one" (of the candidates) or title words
                turn.context.listed_numbers = pending.get("candidates") or turn.context.listed_numbers
                asked.ref = intent.ref or TaskRef(words=text)
                return await self._run(asked, turn)
            if pending["awaiting"] == "title" and intent.intent is Intent.UNKNOWN and intent.refusal is None:
                asked.title = text
                return await self._run(asked, turn)
        if intent.intent is Intent.CONFIRM:
            return "There is nothing waiting for a yes. " + UNKNOWN_TEXT.split(". ", 1)[1]
        if intent.intent is Intent.CANCEL:
            return "OK."
        return await self._run(intent, turn)

    async def _run(
        self, intent: ChatIntent, turn: Turn, confirmed: bool = False, numbers: list[int] | None = None
    ) -> str:
        match intent.intent:
            case Intent.GREETING:
                return (
                    "Hello! I can add, list, complete, update and delete your tasks. "
                    "Try 'add buy milk tomorrow' or 'show my tasks', or say 'help' for more."
                )
            case Intent.HELP:
                return HELP_TEXT
            case Intent.ADD:
                return await self._add(intent, turn)
            case Intent.LIST | Intent.COUNT:
                return await self._list(intent, turn)
            case Intent.CLEAR_COMPLETED:
                return await self._clear(turn, confirmed, numbers)
            case Intent.UNDO:
                return await self._undo(turn)
            case Intent.COMPLETE | Intent.REOPEN | Intent.UPDATE | Intent.DELETE:
                return await self._on_task(intent, turn, confirmed)
            case Intent.UNKNOWN if intent.refusal:
                return REFUSALS[intent.refusal]
        return UNKNOWN_TEXT

    async def _clear(self, turn: Turn, confirmed: bool, numbers: list[int] | None) -> str:
        done = [t for t in turn.tasks if t["completed"]]
        if not done:
            return "You have no completed tasks to clear."
        if not confirmed or numbers is None:
            # always asked first, naming how many and which; the yes removes exactly these
            turn.state.pending = {
                "awaiting": "confirm",
                "intent": ChatIntent(intent=Intent.CLEAR_COMPLETED).model_dump(mode="json"),
                "numbers": [t["number"] for t in done],
            }
            listing = ", ".join(describe(t) for t in done[:10]) + (", …" if len(done) > 10 else "")
            n = len(done)
            return (
                f"That removes your {n} completed task{'s' if n != 1 else ''}: {listing}. Go ahead? (yes/no)"
            )
        chosen = [t for t in done if t["number"] in set(numbers)]
        if {t["number"] for t in done} == {t["number"] for t in chosen}:
            cleared = await self.backend.clear_completed(turn.token)
        else:  # tasks completed since the question are not part of the yes
            cleared = []
            for task in chosen:
                try:
                    await self.backend.delete_task(turn.token, task["number"])
                    cleared.append(task["number"])
                except BackendNotFound:
                    pass
        gone = [snapshot(t) for t in done if t["number"] in set(cleared)]
        turn.state.last_change = {"kind": "deleted", "tasks": gone}
        turn.actions.append({"type": "cleared", "task_numbers": cleared})
        if not cleared:
            return "You have no completed tasks to clear."
        return (
            f"Cleared {len(cleared)} completed task{'s' if len(cleared) != 1 else ''}: "
            + ", ".join(f"#{n}" for n in cleared)
            + ". Say 'undo' to bring them back."
        )

    async def _undo(self, turn: Turn) -> str:
        change = turn.state.last_change
        if not change:
            return "There is nothing to undo in this conversation."
        turn.state.last_change = None
        kind, saved = change["kind"], change["tasks"]
        done: list[str] = []
        try:
            if kind == "created":
                for task in saved:
                    await self.backend.delete_task(turn.token, task["number"])
                    turn.actions.append({"type": "deleted", "task_number": task["number"], "task": task})
                    done.append(f"removed {describe(task)}")
            elif kind == "deleted":
                for task in saved:
                    restored = await self.backend.restore_task(turn.token, **task)
                    turn.actions.append({"type": "restored", "task_number": task["number"], "task": restored})
                    done.append(f"restored {describe(restored)}")
            else:  # "updated": the fields as they were
                for task in saved:
                    fields = {k: v for k, v in task.items() if k not in ("number", "description")}
                    updated = await self.backend.update_task(turn.token, task["number"], **fields)
                    turn.actions.append({"type": "updated", "task_number": task["number"], "task": updated})
                    done.append(f"put back {describe(updated)}")
        except BackendNotFound:
            return "I couldn't undo that: the task was changed or deleted elsewhere since."
        except BackendRejected as exc:
            return f"I couldn't undo that: {exc}"
        if saved:
            turn.state.last_task_number = saved[0]["number"]
        return "Undone: " + "; ".join(done) + "."

    async def _add(self, intent: ChatIntent, turn: Turn) -> str:
        if intent.problem:
            return intent.problem
        if not intent.title:
            turn.state.pending = {"awaiting": "title", "intent": intent.model_dump(mode="json")}
            return "What should the task be called?"
        if problem := title_problem(intent.title):
            return problem
        fields: dict[str, Any] = {"title": intent.title}
        if intent.due_date:
            fields["due_date"] = intent.due_date.isoformat()
        if intent.priority:
            fields["priority"] = intent.priority
        try:
            task = await self.backend.create_task(turn.token, **fields)
        except BackendRejected as exc:
            return f"I couldn't add that task: {exc}"
        turn.state.last_task_number = task["number"]
        turn.state.last_change = {"kind": "created", "tasks": [snapshot(task)]}
        turn.actions.append({"type": "created", "task_number": task["number"], "task": task})
        return f"Added {describe(task)}."

    async def _list(self, intent: ChatIntent, turn: Turn) -> str:
        f = intent.filter
        tasks = filter_tasks(turn.tasks, f, turn.context.today)
        what = describe_filter(f)
        if intent.intent is Intent.COUNT:
            turn.actions.append({"type": "counted", "count": len(tasks)})
            return f"You have {len(tasks)} {what.format(s='' if len(tasks) == 1 else 's')}."
        turn.state.listed_numbers = [t["number"] for t in tasks]
        turn.actions.append({"type": "listed", "task_numbers": turn.state.listed_numbers})
        if not tasks:
            return f"You have no {what.format(s='s')}."
        return f"Your {what.format(s='s')}:\n" + "\n".join(describe(t) for t in tasks)

    async def _on_task(self, intent: ChatIntent, turn: Turn, confirmed: bool) -> str:
        if intent.problem:
            return intent.problem
        tasks = turn.tasks
        prefer = {Intent.COMPLETE: "pending", Intent.REOPEN: "completed"}.get(intent.intent)
        found: Resolution = resolve(intent.ref, tasks, turn.context, prefer)  # type: ignore[arg-type]
        if (
            intent.intent is Intent.COMPLETE
            and intent.inferred
            and not intent.guessed
            and intent.ref is not None
            and intent.ref.words
            and (found.problem or not found.exact)
        ):
            # "collected the suit from the tailor at lunch": the whole title as typed, then where or when it
            # was done — an exact reference (round 17)
            whole = whole_title_then_more(intent.ref.words, tasks)
            if whole is not None:
                found = Resolution(task=whole)
        verb = VERB[intent.intent]
        if intent.inferred and (found.problem or found.missing):
            # a statement ("the dog ate my homework") that names none of the user's tasks was not about one
            intent.intent = Intent.UNKNOWN
            return UNKNOWN_TEXT
        if found.problem:
            return found.problem
        if found.missing or found.candidates:
            options = found.candidates or tasks
            turn.state.pending = {
                "awaiting": "reference",
                "intent": intent.model_dump(mode="json"),
                "candidates": [t["number"] for t in found.candidates],
            }
            if found.candidates:
                listing = "; ".join(describe(t) for t in options[:10])
                return WHICH_ONE.format(listing=listing, verb=verb)
            if not tasks:
                return "You have no tasks yet."
            return f"Which task should I {verb}? Say its number, e.g. 'task {tasks[0]['number']}'."
        task = found.task
        assert task is not None
        number = task["number"]
        turn.state.last_task_number = number
        guess = intent.guessed or (
            None if found.exact else f"matched '{intent.ref.words if intent.ref else ''}'"
        )
        if guess is None and intent.intent is Intent.COMPLETE and intent.inferred and intent.ref is not None:
            described = described_not_done(intent.ref.words or "", task["title"])
            if described is not None:
                guess = f"took '{described}' to mean it is done"
        if guess is None and intent.ref is not None and intent.ref.loose:
            guess = f"took #{number} from the words around it"
        already = intent.intent in (Intent.COMPLETE, Intent.REOPEN) and task["completed"] == (
            intent.intent is Intent.COMPLETE
        )
        if (
            not confirmed
            and not already
            and (
                (intent.source == "llm" and intent.intent in DESTRUCTIVE)
                or (intent.intent in GUESS_ASKS and guess is not None)
            )
        ):
            intent.ref = TaskRef(number=number)
            understood = f" (I {guess})" if guess else ""
            return self._ask_confirm(intent, turn, f"Should I {verb} {describe(task)}{understood}?")
        try:
            if intent.intent is Intent.DELETE:
                await self.backend.delete_task(turn.token, number)
                turn.state.last_change = {"kind": "deleted", "tasks": [snapshot(task)]}
                turn.actions.append({"type": "deleted", "task_number": number, "task": task})
                return f"Deleted {describe(task)}. Say 'undo' to bring it back."
            if intent.intent in (Intent.COMPLETE, Intent.REOPEN):
                done = intent.intent is Intent.COMPLETE
                if task["completed"] == done:
                    return f"{describe(task)} is already {'done' if done else 'open'}."
                updated = await self.backend.update_task(turn.token, number, completed=done)
                turn.state.last_change = {"kind": "updated", "tasks": [snapshot(task)]}
                turn.actions.append(
                    {"type": "completed" if done else "reopened", "task_number": number, "task": updated}
                )
                return f"{'Marked' if done else 'Reopened'} {describe(updated)}{' as done' if done else ''}."
            changes: dict[str, Any] = {}
            if intent.title:
                if problem := title_problem(intent.title):
                    return problem
                changes["title"] = intent.title
            if intent.due_date:
                changes["due_date"] = intent.due_date.isoformat()
            elif intent.due_shift_days:
                base = date.fromisoformat(task["due_date"]) if task.get("due_date") else turn.context.today
                changes["due_date"] = (base + timedelta(days=intent.due_shift_days)).isoformat()
            elif intent.clear_due_date:
                changes["due_date"] = None
            if intent.priority:
                changes["priority"] = (
                    STEP_DOWN.get(task.get("priority") or "medium", "low")
                    if intent.priority_down
                    else intent.priority
                )
            if not changes:
                return (
                    f"What should I change about {describe(task)}? For example 'rename task {number} to …', "
                    f"'move task {number} to friday' or 'make task {number} high priority'."
                )
            updated = await self.backend.update_task(turn.token, number, **changes)
            turn.state.last_change = {"kind": "updated", "tasks": [snapshot(task)]}
            turn.actions.append({"type": "updated", "task_number": number, "task": updated})
            return f"Updated {describe(updated)}."
        except BackendNotFound:
            return f"Task #{number} doesn't exist any more."
        except BackendRejected as exc:
            return f"I couldn't {verb} task #{number}: {exc}"

    def _ask_confirm(self, intent: ChatIntent, turn: Turn, question: str) -> str:
        turn.state.pending = {"awaiting": "confirm", "intent": intent.model_dump(mode="json")}
        return f"{question} (yes/no)"
