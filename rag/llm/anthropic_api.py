"""Anthropic's hosted models through the official ``anthropic`` SDK (Messages API, streaming).

The key comes from ``RAG_ANTHROPIC_API_KEY`` or the SDK's usual
``ANTHROPIC_API_KEY``. The SDK retries 408/409/429/5xx and connection errors
``llm_max_retries`` times (honouring ``retry-after``); what still fails becomes
a one-line :class:`BackendError` without the key. No temperature is sent:
this SDK's Messages API no longer takes one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rag.config import get_settings
from rag.errors import BackendError
from rag.llm import LLMRequest
from rag.llm.deadline import within
from rag.llm.openai_compat import scrub

if TYPE_CHECKING:
    import anthropic
    import httpx2

    from rag.config import Settings

#: Claude models accept far more; the prompt builder's budget is the real limit
CONTEXT_WINDOW = 200_000


class AnthropicLLM:
    """Streaming Messages API client."""

    name = "anthropic"
    context_window = CONTEXT_WINDOW

    def __init__(self, settings: Settings | None = None, *, http_client: httpx2.Client | None = None) -> None:

        s = settings or get_settings()
        key = s.anthropic_api_key.get_secret_value() if s.anthropic_api_key else os.environ.get("ANTHROPIC_API_KEY")
        if not key:
            raise BackendError("the anthropic backend needs an API key: set RAG_ANTHROPIC_API_KEY or ANTHROPIC_API_KEY")
        self._key = key
        self.model = s.anthropic_model
        self.timeout = float(s.llm_timeout)
        try:
            import anthropic
        except ImportError:
            raise BackendError("the anthropic backend needs the 'anthropic' package: pip install anthropic") from None
        self._client: anthropic.Anthropic = anthropic.Anthropic(
            api_key=key,
            timeout=self.timeout,
            max_retries=int(s.llm_max_retries),
            http_client=http_client,
        )

    def stream(self, request: LLMRequest) -> Iterator[str]:
        """Deltas of the answer, all within ``llm_timeout`` seconds in total (:mod:`rag.llm.deadline`)."""
        return within(self._stream(request), self.timeout, self._expired)

    def _expired(self) -> BackendError:
        return BackendError(
            f"anthropic backend: no complete answer from the API (model {self.model}) within {self.timeout:g} s "
            "(RAG_LLM_TIMEOUT is the total time limit, retries included)"
        )

    def _stream(self, request: LLMRequest) -> Iterator[str]:
        import anthropic

        try:
            with self._client.messages.stream(
                model=self.model,
                max_tokens=request.max_tokens,
                system=request.system,
                messages=[{"role": "user", "content": request.user}],
            ) as stream:
                yield from stream.text_stream
        except anthropic.APITimeoutError:
            raise self._expired() from None
        except anthropic.APIConnectionError as exc:
            raise BackendError(f"anthropic backend: cannot reach the API ({self._why(exc)})") from None
        except anthropic.AuthenticationError:
            raise BackendError("anthropic backend: the API rejected the key (HTTP 401)") from None
        except anthropic.RateLimitError:
            raise BackendError("anthropic backend: rate limited (HTTP 429); try again later") from None
        except anthropic.APIStatusError as exc:
            raise BackendError(f"anthropic backend: HTTP {exc.status_code}: {self._why(exc)}") from None
        except anthropic.AnthropicError as exc:
            raise BackendError(f"anthropic backend: {type(exc).__name__}: {self._why(exc)}") from None

    def _why(self, exc: Any) -> str:
        cause = exc.__cause__ or exc
        return scrub(str(getattr(exc, "message", None) or cause) or type(cause).__name__, self._key)
