"""Retrieval benchmark: index build, ingestion throughput, latency, re-index, Vaswani quality, labelled questions.

Not a test. Run from the repository root with the project's virtual environment:

    python -m benchmarks.retrieval                 # everything (~20 min the first time, less with caches)
    python -m benchmarks.retrieval --parts c,e     # only some parts (results are merged into the JSON)
    python -m benchmarks.retrieval --quick         # smoke run: small corpora, 1 run, writes retrieval-quick.*
    python -m benchmarks.retrieval --prepare       # only build/refresh the cached indexes

Parts, one module each:
  a  build       index build time for the seeds: cold (model loaded / including model load / fresh process), warm
  b  ingestion   throughput (chunks/s) of Indexer.add_documents against raw SentenceTransformer.encode
  c  latency     p50/p95 through Retriever.retrieve, on the seeds and on >= 100,000 chunks
  d  reindex     re-index of an unchanged >= 10,000-chunk corpus of files: embedding calls and Indexer.update() time
  e  vaswani     quality (nDCG@10, R@10, MAP): BM25 alone, dense alone, hybrid; fusion tuned on odd queries
  f  questions   labelled questions (data/questions.jsonl): answer-bearing hit@1/@3, seeds alone and seeds + Vaswani

Shared: ``common`` (paths, targets, helpers, counting embedder), ``indexes`` (the run's state and the cached
indexes), ``report`` (the markdown), ``benchmarks.machine`` (what it ran on). Fusion settings are varied
through ``Settings(retrieval=...)``, never by patching modules.

Slow builds are cached under --cache-dir (default /tmp) and reused: bench-vaswani-index (all 11,429
Vaswani documents via add_documents), bench-reindex-corpus + bench-reindex-index (seeds + one .txt file
per Vaswani document) and bench-100k-index (synthetic vectors). --rebuild discards them.

Writes benchmarks/results/retrieval.json and retrieval.md (a snippet for the README).
"""

import os
import sys

# must be decided before torch is imported (see --omp-passive); this package is imported before any part
if "--omp-passive" in sys.argv[1:]:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
