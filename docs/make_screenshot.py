"""Make the README's screenshots: the reader on the sample corpus after a
search (with the sidebar), and the diff of the spun article against its
original, each with the dark and the light theme (Textual's own SVG export,
as the snapshot tests use):

    python docs/make_screenshot.py

writes docs/reader-dark.svg, docs/reader-light.svg, docs/diff-dark.svg and
docs/diff-light.svg.
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
from tui.config import Config  # noqa: E402

SIZE = (140, 40)


async def quiet(app, pilot) -> None:
    """Until no worker is running two looks in a row."""
    calm = 0
    while calm < 2:
        await app.workers.wait_for_complete()
        await pilot.pause()
        calm = calm + 1 if all(w.is_finished for w in app.workers) else 0


async def shoot(theme: str) -> None:
    index_dir = Path(os.environ["VARIORUM_DATA_DIR"]) / "ix"
    name = theme.removeprefix("textual-")
    app = VariorumApp(Corpus(Path("sample_corpus"), index_dir=index_dir),
                      Config(theme=theme))
    async with app.run_test(size=SIZE) as pilot:
        await quiet(app, pilot)
        await pilot.press("slash", *'"Town College"', "enter")
        await quiet(app, pilot)
        app.save_screenshot(f"reader-{name}.svg", path=str(PROJECT / "docs"))
        await pilot.press("escape")
        await quiet(app, pilot)
        app.reader.list.cursor = next(i for i, a in enumerate(app.reader.list.items)
                                      if a.path.startswith("001"))
        await quiet(app, pilot)
        await pilot.press("d")
        await quiet(app, pilot)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await quiet(app, pilot)
        app.save_screenshot(f"diff-{name}.svg", path=str(PROJECT / "docs"))


async def main() -> None:
    os.chdir(PROJECT)
    for theme in ("textual-dark", "textual-light"):
        await shoot(theme)


if __name__ == "__main__":
    asyncio.run(main())
