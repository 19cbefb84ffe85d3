"""An independent reader of a Cable Viewer page's meta table, for acceptance tests.

The product reads the table with regular expressions; this oracle uses the standard library's
``html.parser`` instead, so the two can be compared. It returns the five cells of the first data row
of ``<table class='cable'>`` (Reference ID | Created | Released | Classification | Origin) as their
text prints: tags dropped, entities decoded, surrounding whitespace stripped.
"""

from __future__ import annotations

from html.parser import HTMLParser

FIELDS = ("reference_id", "created", "released", "classification", "origin")

# A quick cut to the table before parsing (a page is ~60 KB, the table ~1 KB). When the cut finds
# nothing the whole page is parsed, so whether a page has the table is decided by the parser alone.
_OPEN_MARKERS = ("<table class='cable'>", '<table class="cable">')
_CLOSE_MARKER = "</table>"


class _CableTable(HTMLParser):
    """Collects the text of each ``<td>`` of each ``<tr>`` of the first ``table`` of class ``cable``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found = False
        self.done = False
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        if not self.found:
            if tag == "table" and "cable" in (dict(attrs).get("class") or "").split():
                self.found = True
            return
        if tag == "tr":
            self._end_row()
            self._row = []
        elif tag == "td":
            self._end_cell()
            if self._row is None:
                self._row = []
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self.found or self.done:
            return
        if tag == "td":
            self._end_cell()
        elif tag == "tr":
            self._end_row()
        elif tag == "table":
            self._end_row()
            self.done = True

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self.done:
            self._cell.append(data)

    def _end_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
        self._cell = None

    def _end_row(self) -> None:
        self._end_cell()
        if self._row:
            self.rows.append(self._row)
        self._row = None


def decode(raw: bytes) -> str:
    """A page's text: UTF-8, else Windows-1252 (the two encodings the mirrors use)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def meta_table(raw: bytes) -> dict[str, str] | None:
    """The five meta cells of a page as printed, or None when it has no readable ``cable`` table.

    The first row of exactly five ``<td>`` cells is the meta row (the header row has ``<th>`` cells;
    the "Appears in these articles" row is a single ``<td colspan='5'>``).
    """
    text = decode(raw)
    for marker in _OPEN_MARKERS:
        start = text.find(marker)
        if start >= 0:
            end = text.find(_CLOSE_MARKER, start)
            text = text[start:] if end < 0 else text[start : end + len(_CLOSE_MARKER)]
            break
    parser = _CableTable()
    parser.feed(text)
    parser.close()
    if not parser.found:
        return None
    for row in parser.rows:
        if len(row) == len(FIELDS):
            return dict(zip(FIELDS, row, strict=True))
    return None
