#!/usr/bin/env bash
# Build (once) and install llama-cpp-python with kernels chosen on purpose, never by the build machine's CPU.
#
#   RAG_LLAMA_BUILD=portable (default): AVX, AVX2, FMA, F16C, BMI2 -- runs on any x86-64 CPU with AVX2.
#                                       No AVX-512, no AMX (AMX tiles segfault in OpenMP workers on some VMs).
#   RAG_LLAMA_BUILD=avx512   (opt-in):  portable + AVX-512 F/BW/DQ/VL/VNNI/VBMI, still no AMX; refuses to
#                                       install on a CPU without them.
#
# ggml's default is -march=native (GGML_NATIVE=ON): a wheel built on one machine may crash on another.
# pip caches built wheels by download origin, not by CMAKE_ARGS, so pip's cache is bypassed and the wheel
# is kept in a folder named by the version, the flags and the compiler; other flags never reuse it.
set -euo pipefail
VENV=${1:?usage: build_llama.sh VENV}
VERSION=0.3.36
BUILD=${RAG_LLAMA_BUILD:-portable}
common="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
common="$common -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DGGML_AVX_VNNI=OFF"
case "$BUILD" in
  portable) flags="$common -DGGML_AVX512=OFF" ;;
  avx512)
    for f in avx512f avx512bw avx512dq avx512vl avx512_vnni avx512vbmi; do
      grep -qw "$f" /proc/cpuinfo || { echo "error: RAG_LLAMA_BUILD=avx512 needs $f, which this CPU lacks; use portable" >&2; exit 2; }
    done
    flags="$common -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_VBMI=ON" ;;
  *) echo "error: RAG_LLAMA_BUILD must be portable or avx512, not '$BUILD'" >&2; exit 2 ;;
esac
cc=$( (gcc --version 2>/dev/null || echo none) | head -1)
key=$(printf '%s\n%s\n%s\n' "$VERSION" "$flags" "$cc" | sha256sum | cut -c1-12)
WHEELS=${RAG_WHEEL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rag-news-chat/wheels}/llama-cpp-python-$VERSION-$BUILD-$key
pip=("$VENV/bin/python" -m pip --disable-pip-version-check)
if ! ls "$WHEELS"/llama_cpp_python-*.whl >/dev/null 2>&1; then
  echo "compiling llama-cpp-python $VERSION ($BUILD build; ~8 min on 2 cores, once per machine)" >&2
  mkdir -p "$WHEELS"
  tmp=$(mktemp -d "$WHEELS.tmp.XXXX")
  CMAKE_ARGS="$flags" FORCE_CMAKE=1 "${pip[@]}" wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python \
    -w "$tmp" "llama-cpp-python==$VERSION"
  mv "$tmp"/llama_cpp_python-*.whl "$WHEELS"/ && rmdir "$tmp"
  printf 'CMAKE_ARGS=%s\ncompiler=%s\n' "$flags" "$cc" > "$WHEELS/BUILD-FLAGS"
fi
"${pip[@]}" install -q --force-reinstall --no-deps --no-index "$WHEELS"/llama_cpp_python-*.whl
echo "$BUILD $key" > "$VENV/.llama-build"
