"""The text toolkit every layer shares: sentences, citation markers, tokens and lexical terms.

Bottom layer: imports only :mod:`rag.types`, :mod:`rag.errors` and third-party
libraries, so ingestion, prompting, the answer checks, the LLM backends and
the UI all cut text the same way.

* :mod:`rag.text.sentences` — the sentence splitter (spans, glued sentences, quotations, answer lines)
* :mod:`rag.text.markers` — the ``[n]`` citation-marker grammar
* :mod:`rag.text.tokens` — cl100k encoding, token counts and prompt estimates
* :mod:`rag.text.terms` — stemmed lexical terms and BM25 over a handful of sentences
"""
