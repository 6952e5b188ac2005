"""The index's manifest: the roots it was built from, the model that made its vectors and, per document, the hash
of its bytes and its chunk ids.

Written atomically (a temporary file, then a rename), so a build killed midway
leaves the last complete manifest; an unreadable one means the index is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"


class Manifest:
    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.signature: str = data.get("signature", "")
        self.roots: list[str] = data.get("roots", [])
        self.docs: dict[str, dict[str, Any]] = data.get("documents", {})
        # which model made the vectors (rag.embedding.identity); absent in indexes built before the record
        self.embedding: dict[str, Any] | None = data.get("embedding")

    @classmethod
    def load(cls, index_dir: Path) -> Manifest:
        path = index_dir / MANIFEST
        try:
            return cls(path, json.loads(path.read_text()))
        except FileNotFoundError:
            return cls(path, {})
        except (OSError, ValueError) as exc:
            log.warning("manifest %s unreadable (%s): rebuilding the index", path, exc)
            return cls(path, {})

    def corpus_digest(self) -> str:
        """A digest of every chunk id the manifest lists: the lexical index must have been built from the same."""
        h = hashlib.sha256()
        for cid in sorted(c for d in self.docs.values() for c in d.get("chunks", [])):
            h.update(cid.encode())
        return h.hexdigest()

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        data = {"signature": self.signature, "roots": self.roots, "embedding": self.embedding, "documents": self.docs}
        tmp.write_text(json.dumps(data, ensure_ascii=False))
        os.replace(tmp, self.path)
