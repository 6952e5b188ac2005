"""Retrieval-augmented Q&A over news articles, with citations you can check.

Public API: :func:`retrieve` (passages with sources), :func:`evidence_only` (the key statements, without a
model), :func:`answer` / :func:`answer_stream` (a cited answer from the configured LLM backend, the key
statements first) and :func:`load_document` (what indexing makes of a file or URL).
"""

from __future__ import annotations

import os

# torch's OpenMP threads spin-wait by default; next to llama.cpp (or any other busy process) on 2 cores that made a
# query embedding 145-1,022 ms instead of ~36 ms (benchmarks/results/retrieval.json). Set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from rag.answering import answer, answer_stream, evidence_only
from rag.ingest.fetching import load_document
from rag.retrieval import retrieve
from rag.types import Answer, Document, KeyEvidence, Passage

__all__ = [
    "Answer",
    "Document",
    "KeyEvidence",
    "Passage",
    "answer",
    "answer_stream",
    "evidence_only",
    "load_document",
    "retrieve",
]
