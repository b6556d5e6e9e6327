"""Prometheus metrics (module-level: one set per process, however many apps a test creates)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

MESSAGES = Counter("chatbot_messages_total", "Chat messages handled, by recognised intent", ["intent"])
LATENCY = Histogram(
    "chatbot_message_seconds",
    "Time to answer a chat message, backend calls included",
    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
BACKEND_ERRORS = Counter("chatbot_backend_errors_total", "Backend calls that failed (unreachable or 5xx)")
CONVERSATION_WRITES = Counter(
    "chatbot_conversation_writes_total",
    "Chat turns' conversation writes, by when they ran: before_reply or after_reply",
    ["when"],
)
LATE_WRITE_FAILURES = Counter(
    "chatbot_late_write_failures_total",
    "Conversation writes that failed after the reply was sent (the turn's context, messages and account count"
    " were lost; its task change, made before the reply, was not)",
)
