"""Where browser tests keep what they saw: $SCREENSHOT_DIR (default var/screenshots), at the
widths finance users read the console at."""

import os
from pathlib import Path

from django.conf import settings

WIDTHS = (1440, 390)


def element_shots(page, name: str, selector: str) -> None:
    """Screenshot one element at each width as NAME-WIDTH.png; the page is left at 1440 px."""
    folder = Path(os.environ.get("SCREENSHOT_DIR", Path(settings.VAR_DIR) / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.locator(selector).screenshot(path=str(folder / f"{name}-{width}.png"))
    page.set_viewport_size({"width": 1440, "height": 900})
