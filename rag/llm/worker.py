"""The parent side of the llama.cpp child process (:mod:`rag.llm.llama_child`).

llama.cpp is native code: a kernel built for another CPU dies with SIGSEGV,
a bad file can abort, a stuck thread can hang. In process, any of these would
take the web chat or the CLI down with no word. Here the model lives in a
child process; a crash or a silence longer than the time limit becomes a
one-line :class:`BackendError`, the child is gone, and the next call starts a
new one. The child keeps its ``Llama`` between calls, so llama.cpp still
reuses the evaluated prompt prefix.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import BackendError, ModelError

log = logging.getLogger(__name__)

CHILD_SCRIPT = Path(__file__).with_name("llama_child.py")


@dataclass(frozen=True)
class WorkerConfig:
    model_path: Path
    n_ctx: int
    n_threads: int
    load_timeout: float = 180.0  # seconds to load the model (a cold disk, a 1 GB file)
    reply_timeout: float = 120.0  # seconds of silence (no token) before the child counts as hung


def describe_exit(code: int | None) -> str:
    """'SIGSEGV' for a signal, 'exit status 3' otherwise (subprocess gives -N for signal N)."""
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


class LlamaWorker:
    """One child process running llama.cpp; requests are serialised by a lock."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.system_info = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._req: Any = None
        self._resp_fd: int | None = None
        self._buf = b""
        self._lock = threading.RLock()
        self._spawned = 0

    @property
    def restarts(self) -> int:
        """Children started after the first (after a crash, a hang, or a close)."""
        return max(self._spawned - 1, 0)

    # --- lifecycle ------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def start(self) -> None:
        """Start the child and wait until the model is loaded (no-op when running)."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return
            self._cleanup()
            self._spawn()

    def _spawn(self) -> None:
        c = self.config
        self._spawned += 1
        req_r, req_w = os.pipe()
        resp_r, resp_w = os.pipe()
        cfg = json.dumps({"model_path": str(c.model_path), "n_ctx": c.n_ctx, "n_threads": c.n_threads})
        try:
            self._proc = subprocess.Popen(
                [sys.executable, str(CHILD_SCRIPT), cfg, str(req_r), str(resp_w)],
                pass_fds=(req_r, resp_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C in the terminal reaches the app, which stops the child itself
            )
        finally:
            os.close(req_r)
            os.close(resp_w)
        self._req = os.fdopen(req_w, "w", encoding="utf-8")
        self._resp_fd = resp_r
        self._buf = b""
        msg = self._recv(c.load_timeout, loading=True)
        if "error" in msg:
            self._cleanup()
            raise ModelError(f"local model: {msg['error']}")
        self.system_info = str(msg.get("system_info", ""))

    def close(self) -> None:
        with self._lock:
            self._cleanup()

    def _cleanup(self) -> None:
        proc, self._proc = self._proc, None
        if self._req is not None:
            with contextlib.suppress(OSError):
                self._req.close()
            self._req = None
        if self._resp_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._resp_fd)
            self._resp_fd = None
        if proc is not None and proc.poll() is None:
            proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)

    # --- messages -------------------------------------------------------------

    def _send(self, obj: dict[str, Any]) -> None:
        try:
            self._req.write(json.dumps(obj, ensure_ascii=False) + "\n")
            self._req.flush()
        except (OSError, ValueError, AttributeError):
            raise self._died() from None

    def _died(self) -> BackendError:
        """The child is gone: say how, forget it (the next call starts a new one)."""
        proc = self._proc
        code = None
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = proc.wait(5)
        self._cleanup()
        return BackendError(
            f"the local model crashed ({describe_exit(code)} in llama.cpp); it restarts with the next question"
        )

    def _recv(self, timeout: float, *, loading: bool = False) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            fd = self._resp_fd
            if fd is None:
                raise self._died()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                self._cleanup()
                what = "load the model" if loading else "answer"
                raise BackendError(
                    f"the local model did not {what} within {timeout:g} s; it was stopped and restarts "
                    "with the next question"
                )
            chunk = os.read(fd, 65536)
            if not chunk:
                raise self._died()
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return json.loads(line)  # type: ignore[no-any-return]

    # --- requests ---------------------------------------------------------------

    def chat(self, messages: list[dict[str, str]], max_tokens: int, grammar: str | None = None) -> Iterator[str]:
        """Stream the answer's deltas; closing the iterator early stops generation in the child."""
        with self._lock:
            self.start()
            self._send({"op": "chat", "messages": messages, "max_tokens": max_tokens, "grammar": grammar})
            finished = False
            try:
                while True:
                    msg = self._recv(self.config.reply_timeout)
                    if "delta" in msg:
                        yield str(msg["delta"])
                    elif "end" in msg:
                        finished = True
                        return
                    else:
                        finished = True
                        raise BackendError(f"local model: {msg.get('error', 'unexpected reply')}")
            finally:
                if not finished and self._proc is not None:
                    self._stop_early()

    def _stop_early(self) -> None:
        """The caller stopped reading: tell the child, and read up to its end mark."""
        try:
            self._send({"op": "stop"})
            while "end" not in (msg := self._recv(self.config.reply_timeout)) and "error" not in msg:
                pass
        except BackendError as exc:
            log.warning("stopping the local model early: %s", exc)

    def _ask(self, obj: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.start()
            self._send(obj)
            msg = self._recv(self.config.reply_timeout)
            if "error" in msg:
                raise BackendError(f"local model: {msg['error']}")
            return msg

    def tokenize(self, text: str) -> list[int]:
        """``text`` as the model's token ids (special tokens such as <|im_start|> parsed)."""
        return [int(t) for t in self._ask({"op": "tokenize", "text": text})["ids"]]

    def state(self) -> tuple[int, list[int]]:
        """(tokens evaluated, their ids): the prefix llama.cpp will reuse on the next call."""
        msg = self._ask({"op": "state"})
        return int(msg["n_tokens"]), [int(t) for t in msg["input_ids"]]


#: what ``llama_print_system_info`` may report on for a build that runs on any x86-64 CPU with AVX2
PORTABLE_FEATURES = frozenset({"SSE3", "SSSE3", "AVX", "AVX2", "F16C", "FMA", "BMI2", "LLAMAFILE", "OPENMP", "REPACK"})
#: instruction sets that some x86-64 machines of this kind lack (AMX tiles also crash in VM worker threads)
NON_PORTABLE = ("AVX512", "AMX", "AVX_VNNI")


def beyond_portable(system_info: str) -> list[str]:
    """Instruction-set flags switched on in a llama.cpp build that a portable (AVX2) build must not use.

    ``system_info`` is ``llama_print_system_info()``: "CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | ...".
    """
    on = {m.group(1) for m in re.finditer(r"([A-Z][A-Z0-9_]*)\s*=\s*1\b", system_info)}
    return sorted(f for f in on if f.startswith(NON_PORTABLE))


def library_system_info(timeout: float = 60.0) -> str:
    """The installed llama.cpp's system info, read in a child process (a broken library cannot take us down)."""
    code = "import llama_cpp; print(llama_cpp.llama_print_system_info().decode(errors='replace'))"
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise ModelError(f"importing llama_cpp took over {timeout:g} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [""])[-1]
        raise ModelError(f"cannot import llama_cpp ({describe_exit(done.returncode)}): {last[:200]}")
    return done.stdout.strip()
