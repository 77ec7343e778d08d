"""A PDF conversion's scratch directory holds a letter in the clear: one a killed process left
behind is removed when a worker starts; one in use (recent) is not."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from dsr.letters.render import PDF_SCRATCH, remove_stale_scratch


def test_stale_conversion_directories_are_removed_and_fresh_ones_kept() -> None:
    stale = Path(tempfile.mkdtemp(prefix=PDF_SCRATCH))
    (stale / "letter.docx").write_bytes(b"Erika Mustermann")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fresh = Path(tempfile.mkdtemp(prefix=PDF_SCRATCH))
    try:
        assert remove_stale_scratch() >= 1
        assert not stale.exists() and fresh.exists()
    finally:
        fresh.rmdir()
