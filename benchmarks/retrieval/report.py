"""The results as markdown (benchmarks/results/retrieval.md, a snippet for the README).

Reads results written by earlier versions too (their prototype rows in part (c) included); a part whose
figures lack a field is reported as unformattable rather than failing the run.
"""

from __future__ import annotations

from typing import Any


def fmt(x: Any) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "**no**"
    if isinstance(x, float):
        return f"{x:.3f}" if abs(x) < 10 else f"{x:.1f}"
    return str(x)


def markdown(res: dict[str, Any]) -> str:
    try:
        return _markdown(res)
    except (KeyError, TypeError, IndexError) as exc:  # results written by an older version of this script
        return f"(cannot format the results: {type(exc).__name__} {exc}; rerun all parts)"


def _markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    pk = m["packages"]
    lines = [
        "### Retrieval benchmark",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM; Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in pk.items() if v)
        + f". Run {res['finished'][:10]} with `python -m benchmarks.retrieval"
        + (" --quick" if res.get("quick") else "")
        + (" --omp-passive" if res.get("omp_wait_policy") == "PASSIVE" else "")
        + "` (parts run separately keep their own date and load in the JSON)"
        + "; figures are medians over runs; load average during the run "
        + f"{res.get('loadavg_start')} → {res.get('loadavg_end')}"
        " (cores shared with other work, so timings are noisy).",
        "",
    ]
    a = res.get("a")
    if a:
        lines += [
            f"**(a) Index build, seeds** ({a['seed_documents']} files, {a['seed_chunks']} chunks, {a['runs']} runs)",
            "",
            "| build | seconds |",
            "|---|---|",
            f"| cold, model already loaded | {fmt(a['cold_model_loaded_s'])} |",
            f"| cold, including a model re-load in the same process ({fmt(a['model_load_s'])} s of it) "
            f"| {fmt(a['cold_including_model_load_s'])} |",
            f"| cold, fresh process (imports + model + build) | {fmt(a['cold_fresh_process_s'])} |",
            f"| (first model load in a process, torch/sentence-transformers imports included) | "
            f"{fmt(a.get('first_model_load_in_process_s'))} |",
            f"| warm re-run, nothing changed | {fmt(a['warm_unchanged_s'])} ({fmt(a['warm_over_cold_ratio'])}× cold) |",
            "",
        ]
    b = res.get("b")
    if b:
        lines += [
            f"**(b) Ingestion throughput** ({b['documents']} Vaswani documents, {b['chunks']} chunks, "
            f"{b['runs']} runs)",
            "",
            "| path | chunks/s | ratio |",
            "|---|---|---|",
            f"| raw `SentenceTransformer.encode`, batch 32 (baseline) | {fmt(b['raw_encode_chunks_per_s'])} | 1.00 |",
            f"| `Indexer.add_documents` (chunk, embed, Chroma, manifest, BM25) | {fmt(b['pipeline_chunks_per_s'])} | "
            f"{fmt(b['ratio_pipeline_over_raw'])} (target ≥ {b['target_ratio']}: {fmt(b['meets_target'])}) |",
        ]
        v32 = b.get("variant_embedding_batch_32")
        if v32:
            lines.append(
                f"| same pipeline, embedder batch size 32 (proposed) | {fmt(v32['pipeline_chunks_per_s'])} | "
                f"{fmt(v32['ratio_over_raw'])} |"
            )
        v32f = b.get("variant_embedding_batch_32_flush_2048")
        if v32f:
            lines.append(
                "| same pipeline, batch 32 and `indexing.flush_chunks` 2048 (proposed) | "
                f"{fmt(v32f['pipeline_chunks_per_s'])} | "
                f"{fmt(v32f['ratio_over_raw'])} |"
            )
        cpu = b.get("cpu_time_based")
        if cpu:
            lines += [
                "",
                f"Per CPU second instead of wall second (less sensitive to other jobs): pipeline / raw = "
                f"{fmt(cpu['ratio_pipeline_over_raw'])}"
                + (
                    f", batch-32 pipeline / raw = {fmt(cpu['pipeline_batch_32_ratio_over_raw'])}"
                    if cpu.get("pipeline_batch_32_ratio_over_raw")
                    else ""
                )
                + (
                    f", batch 32 + flush_chunks 2048 / raw = {fmt(cpu['pipeline_batch_32_flush_2048_ratio_over_raw'])}"
                    if cpu.get("pipeline_batch_32_flush_2048_ratio_over_raw")
                    else ""
                )
                + ".",
            ]
        lines += [
            "",
            "Where the pipeline's time goes (seconds, median run): "
            + "; ".join(f"{k.strip()} {v}" for k, v in b["pipeline_stage_seconds_median"].items())
            + ".",
            "",
        ]
    c = res.get("c")
    if c:
        lines += [
            "**(c) Retrieval latency**, warm, `Retriever.retrieve(q, k=5)`, model load excluded",
            "",
            "| index | chunks | queries | p50 ms | p95 ms | query embedding ms | Chroma ms | BM25 ms |",
            "|---|---|---|---|---|---|---|---|",
        ]
        pol = c.get("omp_wait_policy", "default (unset)")
        oth = (c.get("synthetic_other_omp_policy") or {}).get("omp_wait_policy", "")
        for key, label in (
            ("seeds", f"seeds (OMP_WAIT_POLICY {pol})"),
            ("synthetic", f"synthetic: Vaswani vectors + noise (OMP_WAIT_POLICY {pol})"),
            ("synthetic_since_filter", f"synthetic, `since` date filter ({pol})"),
            ("synthetic_other_omp_policy", f"synthetic (OMP_WAIT_POLICY {oth})"),
            ("synthetic_fix_no_count", f"synthetic, benchmark prototype: `Store.query` without `count()` ({pol})"),
            (
                "synthetic_since_filter_fix_overfetch",
                "synthetic, `since`, benchmark prototype: unfiltered over-fetch of max(8 × candidates, 400) "
                f"+ filter ({pol})",
            ),
        ):
            x = c.get(key)
            if not x or "p50_ms" not in x:
                continue
            st = x["stage_ms_per_query"]
            lines.append(
                f"| {label} | {x['chunks']:,} | {x['queries']} | {fmt(x['p50_ms'])} | {fmt(x['p95_ms'])} | "
                f"{fmt(st.get('query embedding'))} | {fmt(st.get('Chroma query (incl. count)'))} | "
                f"{fmt(st.get('BM25 scores'))} |"
            )
        lines += ["", f"Target p50 ≤ {c['target_p50_ms']:.0f} ms at ≥ 100k chunks: {fmt(c['meets_target'])}.", ""]
    d = res.get("d")
    if d:
        lines += [
            f"**(d) Re-index, nothing changed**: {d['chunks']:,} chunks ({d['files']:,} files + seeds), "
            f"`Indexer.update()` {fmt(d['update_s_median'])} s median of {d['runs']} (max {fmt(d['update_s_max'])} s), "
            f"{d['embedding_calls']} embedding calls "
            f"(target < {d['target_s']:.0f} s and 0 calls: {fmt(d['meets_target'])}). "
            f"First build took {d['first_build_s']} s.",
            "",
        ]
    e = res.get("e")
    if e:
        col = e["collection"]
        lines += [
            f"**(e) Vaswani** ({col['documents']:,} documents, {col['topics']} topics). Fusion tuned on the "
            f"{col['odd']} odd-numbered topics only (objective: nDCG@10); "
            f"reported on the {col['even']} even ones and on all.",
            "",
            "| system | nDCG@10 even | R@10 even | MAP even | nDCG@10 all | R@10 all | MAP all |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, row in e["table"].items():
            ev, al = row["even"], row["all"]
            lines.append(
                f"| {name} | {fmt(ev['ndcg@10'])} | {fmt(ev['recall@10'])} | {fmt(ev['map'])} | "
                f"{fmt(al['ndcg@10'])} | {fmt(al['recall@10'])} | {fmt(al['map'])} |"
            )
        tuned, names = e["tuned"], e["names"]
        beats = e["hybrid_beats_both"]
        pv = e["paired_ndcg10_all"]
        near = e["odd_within_0.01_of_best"]

        def beat_line(name: str) -> str:
            return ", ".join(
                f"{m} {fmt(beats[name]['even'][m])} / {fmt(beats[name]['all'][m])}"
                for m in ("ndcg@10", "recall@10", "map")
            )

        lines += [
            "",
            f"Tuning (odd topics only, rule fixed before the run: argmax nDCG@10 over dense_weight 0–1 step 0.05 × "
            f"candidates 50/100/200) picked w = {tuned['DENSE_WEIGHT']}, C = {tuned['CANDIDATES']}: odd nDCG@10 "
            f"{fmt(e['odd_ndcg10_best'])} against {fmt(e['odd_ndcg10_current'])} for the current setting; "
            f"{near['settings']} settings (w {near['weights'][0]}–{near['weights'][1]}) lie within 0.01 of the best.",
            "",
            f"Hybrid beats both BM25 and dense (even / all): current — {beat_line(names['current'])}; "
            f"tuned — {beat_line(names['tuned'])}.",
            "",
            "Per topic, nDCG@10 on all topics (wins–ties–losses, mean difference, bootstrap 95% CI): "
            + "; ".join(
                f"{k.replace(' (LexicalIndex)', '').replace(' (Chroma)', '')} {v['wins']}–{v['ties']}–{v['losses']}, "
                f"{v['mean_diff']:+.3f} [{v['bootstrap_95ci'][0]:+.3f}, {v['bootstrap_95ci'][1]:+.3f}]"
                for k, v in pv.items()
            )
            + ".",
            "",
        ]
    f = res.get("f")
    if f:
        lines += [
            f"**(f) Labelled questions** ({f['answerable']} answerable of {f['questions']}), retrieval only, k=5",
            "",
            "| fusion | corpus | chunks | answer hit@1 | answer hit@3 | hit@1 (source) | MRR |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in f["rows"]:
            lines.append(
                f"| {row['fusion']} | {row['corpus']} | {row['chunks']:,} | {fmt(row['answer_hit@1'])} | "
                f"{fmt(row['answer_hit@3'])} | {fmt(row['hit@1'])} | {fmt(row['mrr'])} |"
            )
        lines += [
            "",
            f"Target answer hit@3 ≥ {f['target_answer_hit@3']} with Vaswani beside the seeds: "
            f"current {fmt(f['meets_target_current'])}"
            + (f", tuned {fmt(f['meets_target_tuned'])}" if "meets_target_tuned" in f else "")
            + ".",
            "",
        ]
    if e and f:
        cur, tun = e["names"]["current"], e["names"]["tuned"]
        even_gain = e["table"][tun]["even"]["ndcg@10"] - e["table"][cur]["even"]["ndcg@10"]
        tuned_f = f.get("meets_target_tuned", True)
        adopt = cur != tun and even_gain > 0 and tuned_f
        keep = e["current_setting"]
        lines += [
            "**Fusion recommendation** (adopt the tuned setting only if it also beats the current one on the held-out "
            "even topics and keeps the labelled-question target): "
            + (
                f"set `RAG_RETRIEVAL__DENSE_WEIGHT={e['tuned']['DENSE_WEIGHT']}`, "
                f"`RAG_RETRIEVAL__CANDIDATES={e['tuned']['CANDIDATES']}` (or the defaults in rag/config.py)."
                if adopt
                else f"keep `retrieval.dense_weight = {keep['dense_weight']}`, "
                f"`retrieval.candidates = {keep['candidates']}` "
                f"(tuned vs current on even topics: nDCG@10 {even_gain:+.3f}; labelled questions with the tuned "
                f"setting meet the target: {fmt(tuned_f)})."
            ),
            "",
        ]
    return "\n".join(lines)


def print_table(res: dict[str, Any]) -> None:
    print(markdown(res))
