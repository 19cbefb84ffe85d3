"""The README's shell blocks, read from the file, so that the tests run what the README prints."""

from __future__ import annotations

import re

from cables.settings import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"


def sh_blocks(heading: str) -> list[str]:
    """The fenced ``sh`` blocks of the README's ``## heading`` section, in order, as printed."""
    text = README.read_text()
    section = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert section, f"README.md has no section '## {heading}'"
    return re.findall(r"^```sh\n(.*?)^```$", section.group(1), flags=re.M | re.S)
