"""llama.cpp in a child process: a portable build, and a crash or hang that costs one answer, not the app."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from rag.config import Settings
from rag.errors import BackendError
from rag.llm.local import LocalLLM
from rag.llm.worker import beyond_portable, describe_exit, library_system_info

PORTABLE_INFO = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | OPENMP = 1 | REPACK = 1 |"
)


@pytest.mark.parametrize(
    "info, extra",
    [
        (PORTABLE_INFO, []),
        (PORTABLE_INFO + " AVX512 = 1 | AVX512_VNNI = 1 |", ["AVX512", "AVX512_VNNI"]),
        (PORTABLE_INFO + " AMX_INT8 = 1 |", ["AMX_INT8"]),
        (PORTABLE_INFO + " AVX512 = 0 | AMX_INT8 = 0 |", []),  # listed but off
        (PORTABLE_INFO + " AVX_VNNI = 1 |", ["AVX_VNNI"]),
    ],
)
def test_instructions_beyond_the_portable_set_are_named(info: str, extra: list[str]) -> None:
    assert beyond_portable(info) == extra


@pytest.mark.parametrize("code, said", [(-11, "SIGSEGV"), (-6, "SIGABRT"), (-9, "SIGKILL"), (3, "exit status 3")])
def test_exits_are_described_by_signal_name(code: int, said: str) -> None:
    assert describe_exit(code) == said


def test_the_installed_llama_cpp_runs_on_any_x86_64_cpu_with_avx2() -> None:
    """The build the set-up made uses no AVX-512 or AMX: CI fails here if a -march=native wheel was installed."""
    info = library_system_info()
    assert "AVX2 = 1" in info, info
    assert beyond_portable(info) == [], f"llama.cpp was built for a particular CPU: {info}"


# --------------------------------------------------------------------------- the child process (real model)

MESSAGES = [
    {"role": "system", "content": "Answer in one short sentence."},
    {"role": "user", "content": "Count from one to thirty, in words, separated by commas."},
]


@pytest.fixture
def llm(gguf_path: Path) -> LocalLLM:
    model = LocalLLM(Settings(n_ctx=1024, n_threads=2, local_reply_timeout=20), model_path=gguf_path)
    yield model
    model.close()


@pytest.mark.slow
def test_generation_runs_in_a_child_process(llm: LocalLLM) -> None:
    out = "".join(llm.worker.chat(MESSAGES, max_tokens=8))
    assert out.strip()
    assert llm.worker.pid not in (None, os.getpid())


@pytest.mark.slow
def test_a_crash_in_llama_cpp_is_one_message_and_the_next_call_works(llm: LocalLLM) -> None:
    stream = llm.worker.chat(MESSAGES, max_tokens=120)
    next(stream)  # generating now
    pid = llm.worker.pid
    assert pid is not None
    os.kill(pid, signal.SIGSEGV)  # what a kernel built for another CPU does
    with pytest.raises(BackendError, match=r"crashed \(SIGSEGV in llama\.cpp\)"):
        list(stream)
    assert "".join(llm.worker.chat(MESSAGES, max_tokens=4)).strip()  # restarted
    assert llm.worker.pid != pid and llm.worker.restarts == 1


@pytest.mark.slow
def test_a_hung_model_is_stopped_after_the_time_limit_and_restarted(gguf_path: Path) -> None:
    llm = LocalLLM(Settings(n_ctx=1024, n_threads=2, local_reply_timeout=2), model_path=gguf_path)
    try:
        llm.load()
        pid = llm.worker.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)  # alive, silent
        t0 = time.monotonic()
        with pytest.raises(BackendError, match=r"did not answer within 2 s"):
            list(llm.worker.chat(MESSAGES, max_tokens=4))
        assert time.monotonic() - t0 < 10
        assert "".join(llm.worker.chat(MESSAGES, max_tokens=4)).strip()
    finally:
        llm.close()


@pytest.mark.slow
def test_stopping_early_leaves_the_model_ready_for_the_next_question(llm: LocalLLM) -> None:
    stream = llm.worker.chat(MESSAGES, max_tokens=120)
    next(stream)
    stream.close()  # the reader pressed stop
    t0 = time.monotonic()
    n, _ = llm.worker.state()
    assert n > 0 and time.monotonic() - t0 < 5  # the child stopped generating instead of finishing 120 tokens
    assert "".join(llm.worker.chat(MESSAGES, max_tokens=4)).strip()


def test_a_file_that_is_not_a_model_is_one_line(tmp_path: Path) -> None:
    from rag.errors import ModelError

    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"not a gguf file at all")
    llm = LocalLLM(Settings(n_ctx=512, n_threads=1), model_path=bad)
    with pytest.raises(ModelError, match=r"cannot load bad\.gguf") as err:
        llm.load()
    assert "\n" not in str(err.value)
