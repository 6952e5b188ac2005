"""The page's note on the last index refresh: what was skipped and why, escaped, and bounded in length."""

from __future__ import annotations

from rag.ui.app import MAX_WARNINGS_SHOWN, index_note


def test_no_warnings_no_note() -> None:
    assert index_note([]) == ""


def test_each_skipped_item_is_one_escaped_line() -> None:
    note = index_note(["skipped /data/<b>evil</b>.html: unexpected RecursionError (too deep)"])
    assert note.startswith("**The last index refresh skipped 1 item(s)**; everything else is served:")
    assert "&lt;b&gt;evil&lt;/b&gt;" in note and "<b>" not in note


def test_a_long_list_is_cut_with_a_count() -> None:
    note = index_note([f"skipped /data/{n}.txt: file is empty" for n in range(MAX_WARNINGS_SHOWN + 7)])
    assert note.count("\n- skipped ") == MAX_WARNINGS_SHOWN and "… and 7 more (run `rag index`" in note
