"""The llama.cpp child process: loads one GGUF and answers JSON-line requests.

Run as a script (``python llama_child.py CONFIG_JSON REQ_FD RESP_FD``), never
imported by the app: it needs only the standard library and llama_cpp, so it
starts in about a second, and when the native library crashes (a SIGSEGV in a
kernel built for another CPU, an abort on a bad file) or hangs, only this
process dies; :mod:`rag.llm.worker` reports it and starts a new one.

Requests (one JSON object a line on REQ_FD) and replies (on RESP_FD):

* ``{"op": "chat", "messages", "max_tokens", "grammar"}`` → ``{"delta": str}``…, then ``{"end": true}``
  (a ``{"op": "stop"}`` line sent meanwhile ends the answer early);
* ``{"op": "tokenize", "text"}`` → ``{"ids": [...]}`` (the text in the model's vocabulary);
* ``{"op": "state"}`` → ``{"n_tokens": int, "input_ids": [...]}`` (the evaluated prefix kept between calls);
* any failure the library reports as an exception → ``{"error": "one line"}``.

The first reply, after loading, is ``{"ready": true, "system_info": str}``.
"""

from __future__ import annotations

import json
import os
import select
import sys
from typing import Any


def _send(out: Any, obj: dict[str, Any]) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    out.flush()


def _stop_requested(req_fd: int) -> bool:
    """A line waiting on the request pipe while generating can only be a stop."""
    ready, _, _ = select.select([req_fd], [], [], 0)
    return bool(ready)


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


def main(argv: list[str]) -> int:
    cfg = json.loads(argv[1])
    req_fd, resp_fd = int(argv[2]), int(argv[3])
    out = os.fdopen(resp_fd, "w", encoding="utf-8")
    inp = os.fdopen(req_fd, "r", encoding="utf-8")
    try:
        import llama_cpp
        from llama_cpp import Llama, LlamaGrammar

        llama = Llama(
            model_path=cfg["model_path"],
            n_ctx=int(cfg["n_ctx"]),
            n_threads=int(cfg["n_threads"]),
            n_threads_batch=int(cfg["n_threads"]),
            verbose=False,
        )
    except Exception as exc:  # noqa: BLE001 - reported to the parent as one line
        _send(out, {"error": f"cannot load {os.path.basename(cfg['model_path'])}: {_one_line(exc)}"})
        return 1
    info = llama_cpp.llama_print_system_info()
    _send(out, {"ready": True, "system_info": info.decode(errors="replace") if isinstance(info, bytes) else str(info)})
    grammars: dict[str, Any] = {}
    for line in inp:
        if not line.strip():
            continue
        req = json.loads(line)
        op = req.get("op")
        try:
            if op == "chat":
                kwargs: dict[str, Any] = {}
                if req.get("grammar"):
                    g = req["grammar"]
                    if g not in grammars:
                        grammars[g] = LlamaGrammar.from_string(g, verbose=False)
                    kwargs["grammar"] = grammars[g]
                chunks = llama.create_chat_completion(
                    messages=req["messages"],
                    temperature=0.0,
                    top_k=1,
                    max_tokens=int(req["max_tokens"]),
                    stream=True,
                    **kwargs,
                )
                stopped = False
                for chunk in chunks:
                    text = chunk["choices"][0].get("delta", {}).get("content")  # type: ignore[index, union-attr]
                    if isinstance(text, str) and text:
                        _send(out, {"delta": text})
                    if _stop_requested(req_fd):
                        stopped = True
                        break
                if stopped:
                    inp.readline()  # the stop line itself
                _send(out, {"end": True})
            elif op == "tokenize":
                ids = llama.tokenize(str(req["text"]).encode("utf-8"), add_bos=False, special=True)
                _send(out, {"ids": [int(t) for t in ids]})
            elif op == "state":
                _send(out, {"n_tokens": int(llama.n_tokens), "input_ids": [int(t) for t in llama._input_ids]})
            elif op == "stop":  # arrived after the answer had ended
                continue
            else:
                _send(out, {"error": f"unknown request {op!r}"})
        except Exception as exc:  # noqa: BLE001 - e.g. a prompt longer than the context window
            _send(out, {"error": _one_line(exc)})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
