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
