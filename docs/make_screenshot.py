"""Make docs/screenshot.svg: the reader on the sample corpus, after a search,
with the sidebar (Textual's own SVG export, as the snapshot tests use).

    python docs/make_screenshot.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
os.environ.setdefault("VARIORUM_DATA_DIR", tempfile.mkdtemp(prefix="variorum-shot-"))

from index import Corpus  # noqa: E402
from tui.app import VariorumApp  # noqa: E402


async def main() -> None:
    os.chdir(PROJECT)
    app = VariorumApp(Corpus(Path("sample_corpus"), index_dir=Path(
        os.environ["VARIORUM_DATA_DIR"]) / "ix"))
    async with app.run_test(size=(140, 40)) as pilot:
        for _ in range(4):
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.press("slash", *'"Town College"', "enter")
        for _ in range(4):
            await app.workers.wait_for_complete()
            await pilot.pause()
        app.save_screenshot("screenshot.svg", path=str(PROJECT / "docs"))


if __name__ == "__main__":
    asyncio.run(main())
