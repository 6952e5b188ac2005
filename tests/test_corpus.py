"""Adding files and removing documents as the page does it (real model, real embedded index)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import SEEDS

from rag.config import Settings
from rag.corpus import UPLOADS_DIR, add_files, remove_document
from rag.errors import InputError
from rag.indexing import list_documents

ARTICLE = "Grodno summit\n\nThe two presidents met in Grodno on Friday to discuss grain exports and a new bridge.\n"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", seeds_dir=SEEDS, upload_max_bytes=4096)


def test_uploaded_files_are_kept_and_indexed_one_line_each(settings: Settings, tmp_path: Path) -> None:
    drop = tmp_path / "browser-temp"
    drop.mkdir()
    (drop / "grodno.txt").write_text(ARTICLE)
    (drop / "big.txt").write_text("word " * 2000)  # 10 kB: over the 4 kB limit of these settings
    (drop / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (drop / "blank.md").write_text("   \n")
    lines = add_files([drop / n for n in ("grodno.txt", "big.txt", "photo.png", "blank.md")], settings)
    assert lines[0].startswith("big.txt: 0.0 MiB is over the upload limit (RAG_UPLOAD_MAX_BYTES)")
    assert lines[1].startswith("photo.png: not a file type that can be indexed")
    assert "grodno.txt: indexed — Grodno summit (undated)" in lines
    assert any(line.startswith("blank.md: ") and "empty" in line for line in lines)
    assert all("\n" not in line for line in lines) and len(lines) == 4
    kept = Path(settings.index_dir) / UPLOADS_DIR
    assert [p.name for p in kept.iterdir()] == ["grodno.txt"]  # what could not be indexed is not kept
    assert "grodno.txt" in {r["source"] for r in list_documents(settings)}


def test_a_document_is_removed_with_its_upload(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "grodno.txt").write_text(ARTICLE)
    add_files([tmp_path / "grodno.txt"], settings)
    path = next(r["path"] for r in list_documents(settings) if r["source"] == "grodno.txt")
    assert remove_document(path, settings).startswith("removed Grodno summit (")
    assert "grodno.txt" not in {r["source"] for r in list_documents(settings)}
    assert not Path(path).exists()
    with pytest.raises(InputError, match="not in the index"):
        remove_document(path, settings)


def test_a_hostile_file_name_stays_inside_the_uploads_folder(settings: Settings, tmp_path: Path) -> None:
    odd = tmp_path / "..evil name;rm -rf.txt"
    odd.write_text(ARTICLE)
    add_files([odd], settings)
    names = [p.name for p in (Path(settings.index_dir) / UPLOADS_DIR).iterdir()]
    assert names == ["evil name_rm -rf.txt"]
