"""NLU providers, chosen by NLU_PROVIDER: `rules` (default) here; `llm`, `hybrid` in todo_chatbot.nlu.llm."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from todo_chatbot.core.config import Settings
from todo_chatbot.nlu.intent import ChatIntent, Intent, ListFilter, NLUContext, NLUProvider, TaskRef
from todo_chatbot.nlu.rules import RulesProvider

__all__ = ["ChatIntent", "Intent", "ListFilter", "NLUContext", "NLUProvider", "TaskRef", "make_provider"]


class UnknownProviderError(ValueError):
    pass


def _llm_factory(name: str) -> Callable[[Settings], NLUProvider]:
    def build(settings: Settings) -> NLUProvider:
        try:
            module = importlib.import_module("todo_chatbot.nlu.llm")
        except ModuleNotFoundError as exc:
            raise UnknownProviderError(
                f"NLU_PROVIDER={name} needs todo_chatbot.nlu.llm, which is not installed ({exc}); use"
                f" NLU_PROVIDER=rules"
            ) from exc
        factory: Callable[[Settings], NLUProvider] = module.PROVIDERS[name]
        return factory(settings)

    return build


PROVIDERS: dict[str, Callable[[Settings], NLUProvider]] = {
    "rules": lambda settings: RulesProvider(),
    "llm": _llm_factory("llm"),
    "hybrid": _llm_factory("hybrid"),
}


def make_provider(settings: Settings) -> NLUProvider:
    """The provider NLU_PROVIDER names; an unknown name stops the service at start, listing the valid ones."""
    name = settings.nlu_provider.strip().lower()
    if name not in PROVIDERS:
        raise UnknownProviderError(
            f"NLU_PROVIDER={settings.nlu_provider!r} is not a known NLU provider; use one of:"
            f" {', '.join(PROVIDERS)}"
        )
    return PROVIDERS[name](settings)
