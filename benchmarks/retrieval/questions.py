"""Part (f): labelled questions (data/questions.jsonl), retrieval only: answer-bearing hit@1/@3 and MRR.

On the seeds alone and on seeds + Vaswani, with the shipped fusion and, where part (e) found one, the tuned one.
"""

from __future__ import annotations

from typing import Any

from benchmarks.retrieval.common import QUESTIONS, TARGET_ANSWER_HIT3, log, r, settings_for
from benchmarks.retrieval.indexes import Bench
from rag.evaluation import load_questions, run_eval
from rag.retrieval import Retriever


def run(bench: Bench) -> dict[str, Any]:
    log("(f) labelled questions, seeds alone and seeds + Vaswani")
    qs = load_questions(QUESTIONS)
    path_v, _, marker = bench.reindex_index()
    rec = bench.results.get("_tuned") or (bench.previous.get("e", {}) or {}).get("tuned")
    shipped = settings_for(path_v).retrieval  # the shipped fusion (or RAG_RETRIEVAL__* where set)
    settings = [("current", shipped.dense_weight, shipped.candidates)]
    if rec and (rec["DENSE_WEIGHT"], rec["CANDIDATES"]) != (shipped.dense_weight, shipped.candidates):
        settings.append(("tuned", rec["DENSE_WEIGHT"], rec["CANDIDATES"]))
    keys = ["answer_hit@1", "answer_hit@3", "answer_hit@5", "hit@1", "hit@3", "mrr", "ndcg@10"]
    out: dict[str, Any] = {"questions": len(qs), "answerable": sum(q.answerable for q in qs), "rows": []}
    for label, w, c in settings:
        for corpus, path in (("seeds", bench.seeds_index()), ("seeds + Vaswani", path_v)):
            ret = Retriever(settings_for(path, retrieval={"dense_weight": w, "candidates": c}), bench.emb)
            rep = run_eval(qs, backend=None, k=5, retrieval_only=True, progress=False, retrieve_fn=ret.retrieve)
            row = {"fusion": f"{label} (w={w}, C={c})", "corpus": corpus, "chunks": ret.store.count()}
            row.update({k: r(rep.metrics.get(k)) for k in keys})
            missed = [res.id for res in rep.results if res.retrieval and res.retrieval.get("answer_hit@3", 1.0) < 1.0]
            row["answer_hit@3_misses"] = missed
            out["rows"].append(row)
            log(
                f"  {row['fusion']} / {corpus}: answer_hit@1 {row['answer_hit@1']}, "
                f"@3 {row['answer_hit@3']} ({row['chunks']} chunks)"
            )
    cur = [x for x in out["rows"] if x["fusion"].startswith("current")]
    out["target_answer_hit@3"] = TARGET_ANSWER_HIT3
    out["meets_target_current"] = all((x["answer_hit@3"] or 0) >= TARGET_ANSWER_HIT3 for x in cur)
    tuned = [x for x in out["rows"] if x["fusion"].startswith("tuned")]
    if tuned:
        out["meets_target_tuned"] = all((x["answer_hit@3"] or 0) >= TARGET_ANSWER_HIT3 for x in tuned)
    out["notes"] = (
        "run_eval(retrieval_only=True, k=5) with Retriever.retrieve; answer_hit@k = a top-k passage from an "
        "expected source holding a key phrase; the seeds + Vaswani index is the part (d) index "
        f"(seeds + {marker.get('files')} Vaswani .txt files)"
    )
    return out
