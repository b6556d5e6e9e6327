"""The `llm` and `hybrid` NLU providers: any OpenAI-compatible chat-completions endpoint (llama.cpp's server,
Ollama, OpenRouter) turns a message into a `ChatIntent`, behind the guards of `llm_guard`.

- `llm`: the model reads every message; `hybrid`: the rules parser first, the model only when rules say
  `unknown`. In both, the rules parser keeps the last word on "yes"/"no" answers, on answers to a question
  the bot asked ("which task?") and on refusals (other users' tasks, "delete all"): no model decides those.
- Output is schema-constrained JSON where the server supports it (llama.cpp: `response_format` `json_object`
  with `schema`; others: OpenAI's `json_schema`), with bounded strings, validated by pydantic.
- A task number, reference or title the message does not contain, an unreachable or slow server (beyond
  LLM_TIMEOUT_SECONDS) and invalid output all make the rules parser answer instead; a priority or due date the
  message does not state is dropped, and a stated one is resolved in code. Destructive intents come back with
  `source="llm"`, so the engine asks for a "yes" before acting on them.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from todo_chatbot.core.config import Settings
from todo_chatbot.nlu import llm_guard
from todo_chatbot.nlu.intent import ChatIntent, Intent, NLUContext, NLUProvider, Priority, TaskRef
from todo_chatbot.nlu.rules import Words, list_filter, title_problem
from todo_chatbot.nlu.rules import parse as rules_parse

log = logging.getLogger("todo_chatbot.nlu.llm")

LLM_INTENTS = [
    "add", "list", "count", "complete", "reopen", "update", "delete", "clear_completed", "help", "greeting",
    "unknown",
]  # fmt: skip
MAX_TITLE = 120  # a grammar with unbounded strings lets a small model ramble until max_tokens (invalid JSON)
MAX_REF = 60
MAX_DUE = 40


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "intent": {"type": "string", "enum": LLM_INTENTS},
        "title": _nullable({"type": "string", "minLength": 1, "maxLength": MAX_TITLE}),
        "task_number": _nullable({"type": "integer"}),
        "task_ref": _nullable({"type": "string", "minLength": 1, "maxLength": MAX_REF}),
        "due": _nullable({"type": "string", "minLength": 1, "maxLength": MAX_DUE}),
        "priority": _nullable({"type": "string", "enum": ["low", "medium", "high"]}),
    },
    "required": ["intent", "title", "task_number", "task_ref", "due", "priority"],
    "additionalProperties": False,
}


class LLMAnswer(BaseModel):
    """What the model must return: ANSWER_SCHEMA's bounds, checked again (not every server obeys a schema)."""

    model_config = ConfigDict(extra="forbid")

    intent: Literal[
        "add", "list", "count", "complete", "reopen", "update", "delete", "clear_completed", "help",
        "greeting", "unknown",
    ]  # fmt: skip
    title: str | None = Field(default=None, max_length=MAX_TITLE)
    task_number: int | None = None
    task_ref: str | None = Field(default=None, max_length=MAX_REF)
    due: str | None = Field(default=None, max_length=MAX_DUE)
    priority: Priority | None = None


SYSTEM_PROMPT = """\
You turn one message sent to a todo app into one JSON object. Output JSON only.
"intent" is one of:
add = create a new task; list = show tasks; count = how many tasks; complete = mark a task done;
reopen = mark a done task as not done; update = rename a task or change its due date or priority;
delete = remove one task; clear_completed = remove all completed tasks; help = the user asks for help;
greeting = hello, thanks; unknown = anything else (off-topic, unclear or unsafe requests).
"title": for add, the task's text; for update, the new title; else null.
"task_number": the number the user wrote for an existing task ("task 3" -> 3); else null.
"task_ref": the user's words naming an existing task when there is no number; else null.
"due": the user's words for a due date ("tomorrow", "on friday"); else null.
"priority": "low", "medium" or "high" only if the user says it; else null."""


def _example(message: str, **answer: Any) -> list[dict[str, str]]:
    full = {"intent": "unknown", "title": None, "task_number": None, "task_ref": None, "due": None,
            "priority": None, **answer}  # fmt: skip
    return [
        {"role": "user", "content": message},
        {"role": "assistant", "content": json.dumps(full, separators=(",", ":"))},
    ]


# few-shot beats zero-shot by far for small models (4/20 -> 11/20 intents, notes/local-llm.md); kept short and
# constant so a llama.cpp server reuses its cached prefix (about 0.1 s instead of 2-3 s per request)
FEW_SHOT: list[dict[str, str]] = [
    *_example("add milk to my list", intent="add", title="milk"),
    *_example(
        "pay rent on wednesday, it's urgent",
        intent="add",
        title="pay rent",
        due="on wednesday",
        priority="high",
    ),
    *_example("show everything I still have to do", intent="list"),
    *_example("task 7 is done", intent="complete", task_number=7),
    *_example("change task 2 to walk the dog", intent="update", task_number=2, title="walk the dog"),
    *_example("get rid of the dentist task", intent="delete", task_ref="dentist"),
    *_example("tell me a joke", intent="unknown"),
]


class LLMUnavailable(Exception):
    """No usable answer from the model: unreachable, too slow, an HTTP error or output breaking the schema."""


class Refused(Exception):
    """The model's answer names something the user's message does not (the guard's reason)."""


class ChatCompletionsClient:
    """POST {base_url}/chat/completions with a JSON schema; returns the validated LLMAnswer."""

    def __init__(self, base_url: str, model: str | None, api_key: str | None, timeout: float) -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout = timeout
        # llama.cpp takes `json_object` + `schema` (and answers OpenAI's `json_schema` with a 500); OpenAI and
        # OpenRouter take `json_schema`: try the first, switch for good when the server rejects it
        named = {"name": "chat_intent", "strict": True, "schema": ANSWER_SCHEMA}
        self.formats: list[dict[str, Any]] = [
            {"type": "json_object", "schema": ANSWER_SCHEMA},
            {"type": "json_schema", "json_schema": named},
        ]

    async def ask(self, message: str) -> LLMAnswer:
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            *FEW_SHOT,
            {"role": "user", "content": message},
        ]
        body: dict[str, Any] = {"messages": messages, "temperature": 0, "seed": 1, "max_tokens": 200}
        if self.model:
            body["model"] = self.model
        async with httpx.AsyncClient(timeout=self.timeout, headers=self.headers) as client:
            while True:
                body["response_format"] = self.formats[0]
                try:
                    response = await client.post(self.url, json=body)
                except httpx.TimeoutException as exc:
                    raise LLMUnavailable(f"no answer within LLM_TIMEOUT_SECONDS={self.timeout}") from exc
                except httpx.HTTPError as exc:
                    raise LLMUnavailable(f"{self.url} unreachable: {type(exc).__name__}: {exc}") from exc
                if response.status_code >= 400 and len(self.formats) > 1:
                    log.info("%s rejected response_format %s (%s); trying the next form", self.url,
                             self.formats[0]["type"], response.status_code)  # fmt: skip
                    self.formats.pop(0)
                    continue
                if response.status_code >= 400:
                    raise LLMUnavailable(f"{self.url} answered {response.status_code}: {response.text[:200]}")
                break
        try:
            content = response.json()["choices"][0]["message"]["content"]
            return LLMAnswer.model_validate(json.loads(content))
        except (KeyError, IndexError, TypeError, ValueError, ValidationError) as exc:
            raise LLMUnavailable(f"invalid output: {str(exc)[:300]}") from exc


def to_intent(answer: LLMAnswer, message: str, context: NLUContext) -> ChatIntent:
    """The model's answer as a ChatIntent (source "llm"), keeping only what the message itself says.

    Raises Refused when a task number, reference or title is not in the message."""
    intent = ChatIntent(intent=Intent(answer.intent), source="llm")
    if intent.intent in (Intent.LIST, Intent.COUNT):
        intent.filter = list_filter(Words.of(message).text, context.today)  # read in code, like the rules do
        return intent
    if intent.intent not in (Intent.ADD, Intent.UPDATE, Intent.COMPLETE, Intent.REOPEN, Intent.DELETE):
        return intent
    if answer.title and intent.intent in (Intent.ADD, Intent.UPDATE):
        _refuse_if(llm_guard.words_refused(answer.title, message))
        intent.title = answer.title.strip()
        intent.problem = title_problem(intent.title)
    if intent.intent is Intent.ADD and not intent.title:
        raise Refused("add without a title")
    if answer.due and intent.intent in (Intent.ADD, Intent.UPDATE):
        intent.due_date, reason = llm_guard.checked_due(message, context.today)
        if reason:
            log.info("LLM due date %r dropped: %s", answer.due, reason)
    if answer.priority and intent.intent in (Intent.ADD, Intent.UPDATE):
        if reason := llm_guard.priority_refused(answer.priority, message):
            log.info("LLM priority dropped: %s", reason)
        else:
            intent.priority = answer.priority
    if intent.intent is not Intent.ADD:
        intent.ref = _reference(answer, message)
    return intent


def _reference(answer: LLMAnswer, message: str) -> TaskRef | None:
    """The task the answer names, only if the message names it; None lets the engine ask "which task?"."""
    if answer.task_number is not None:
        _refuse_if(llm_guard.number_refused(answer.task_number, message))
        return TaskRef(number=answer.task_number) if answer.task_number >= 1 else None
    if answer.task_ref:
        if answer.task_ref.strip().lower() in ("it", "that", "this", "that one", "this one"):
            return TaskRef(pronoun=True)
        _refuse_if(llm_guard.words_refused(answer.task_ref, message))
        return TaskRef(words=answer.task_ref.strip())
    return None


def _refuse_if(reason: str | None) -> None:
    if reason:
        raise Refused(reason)


class LLMProvider:
    """`llm` (every message to the model) or, with only_unknown, `hybrid` (only what rules cannot parse)."""

    def __init__(self, client: ChatCompletionsClient, *, only_unknown: bool) -> None:
        self.client = client
        self.only_unknown = only_unknown
        self.name = "hybrid" if only_unknown else "llm"

    async def parse(self, message: str, context: NLUContext) -> ChatIntent:
        ruled = rules_parse(message, context)
        if self._rules_decide(ruled, context):
            return ruled
        started = time.monotonic()
        try:
            answer = await self.client.ask(message)
            intent = to_intent(answer, message, context)
        except LLMUnavailable as exc:
            log.warning("LLM not used (%s); the rules parser answers", exc)
            return ruled
        except Refused as exc:
            log.warning("LLM output refused (%s): %s; the rules parser answers", exc, answer.model_dump())
            return ruled
        log.info("LLM answer %s in %.2fs", answer.model_dump(exclude_none=True), time.monotonic() - started)
        return intent

    def _rules_decide(self, ruled: ChatIntent, context: NLUContext) -> bool:
        if ruled.intent in (Intent.CONFIRM, Intent.CANCEL) or ruled.refusal is not None:
            return True
        if context.awaiting in ("reference", "title"):
            return True  # the engine reads the answer to its own question
        return self.only_unknown and ruled.intent is not Intent.UNKNOWN


def _client(settings: Settings) -> ChatCompletionsClient:
    if not settings.llm_base_url:
        raise ValueError(
            f"NLU_PROVIDER={settings.nlu_provider} needs LLM_BASE_URL (an OpenAI-compatible API, e.g."
            " http://127.0.0.1:8090/v1 or https://openrouter.ai/api/v1); or use NLU_PROVIDER=rules"
        )
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return ChatCompletionsClient(settings.llm_base_url, settings.llm_model, key, settings.llm_timeout_seconds)


def _llm(settings: Settings) -> NLUProvider:
    return LLMProvider(_client(settings), only_unknown=False)


def _hybrid(settings: Settings) -> NLUProvider:
    return LLMProvider(_client(settings), only_unknown=True)


PROVIDERS = {"llm": _llm, "hybrid": _hybrid}
