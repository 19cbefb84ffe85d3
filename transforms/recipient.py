"""Addressees of a cable from the TO, INFO and XMT lines of its header.

Rules, in header order (one row per addressee line):

* The address block starts after the ``FM`` line (before it an ``INFO  LOG-00 EEB-00`` block
  lists the offices that got a copy; those are not addressees). A header with no ``FM`` line at
  all (a snippet, a damaged header) is read from its first line.
* ``TO`` opens the action addressees, ``INFO`` the information addressees; every following line
  is another addressee of the same kind until the next opener or the end of the block (a blank
  line, ``BT``, the classification line, ``SUBJ``...).
* ``XMT`` (also ``XMT/``, ``INFO XMT``) lists stations EXCLUDED from a collective addressed above
  (``TO SECURITY OFFICER COLLECTIVE`` / ``XMT AMCONSUL JOHANNESBURG``: every post of the
  collective except Johannesburg). They are kept, so the exclusion can be seen, as rows of
  ``kind`` ``'xmt'``, never as ``to``/``info`` addressees; the lines after an ``XMT`` line
  continue the exclusion list (cablemap's reading too).
* Not addressees: the page-continuation line a long address list carries
  (``TO PAGE 02        STATE   015113  182333Z``: the section stays open and the next line is the
  next addressee), office-code lines (``LOG-00   EEB-00``, ``(TEDE) /000R``) and one- or two-letter fragments of a
  garbled line (``R`` / ``E`` on lines of their own).
* A line is ``[routing indicator/]name [precedence] [serial]``. The routing slot is the token
  before the first ``/`` (``RUEHC/``, also ``ZEN/`` = delivered by other means, and the few
  misprinted ones such as ``UEHSM/``), kept as printed. A serial may be a range
  (``7881-7884``: one serial per section of a multi-section cable).
* Two addressees glued on one line by a garbled date (``AMEMBASSY LA PAZ NOV LIMA 9042``: a
  month name standing alone after the name): the name before the month is one addressee, the
  words after it another of the same kind of post (``AMEMBASSY LIMA``), which takes the serial; a
  month with nothing after it (``AMEMBASSY LA PAZ SEP 9670``) is dropped. Both rows keep ``raw``.
* A line with a routing indicator but no name (``RUEHC/``, or a bare ``RUEHC`` that ``routes``
  knows) takes ``name`` from ``routing_name``, or the routing indicator itself when the lookup
  does not know it (``name`` is never null).
"""

from __future__ import annotations

import polars as pl

PRECEDENCES = ("FLASH", "NIACT IMMEDIATE", "IMMEDIATE", "PRIORITY", "ROUTINE")
KINDS = ("to", "info", "xmt")
# ``RUEHC/SECSTATE WASHDC IMMEDIATE 3217``; routing indicator, precedence and serial are optional.
ADDRESSEE = (
    r"^(?:(?P<routing_indicator>[A-Z]{2,7})[ \t]*/)?[ \t]*(?P<name>.*?)"
    r"(?:[ \t]*(?-u:\b)(?P<precedence>" + "|".join(PRECEDENCES) + r"))?"
    r"(?:[ \t]*(?-u:\b)(?P<serial>\d{1,6}(?:-\d{1,6})?))?[ \t]*$"
)
# The keyword opening a section; ``INFO XMT X`` and ``XMT/X`` are exclusions.
_XMT_OPENER = r"^[ \t]*(?:(?:TO|INFO)[ \t]+)?XMT(?:[ \t]*/|[ \t]+)[ \t]*"
_TO_INFO_OPENER = r"^[ \t]*(TO|INFO)[ \t]+"
_OPENER = _XMT_OPENER + "|" + _TO_INFO_OPENER
_FM = r"^[ \t]*FM[ \t]"
# Lines after which the addressee list is over (end of header, classification).
_SECTION_END = (
    r"^[ \t]*(?:BT(?-u:\b)|ZEN(?:[ \t]|$)|NNNN|UNCLAS|C O N F|S E C R E T|CONFIDENTIAL(?-u:\b)|SECRET(?-u:\b)"
    r"|E\.?\s?O\.?\s|SUBJ|TAGS|SENSITIVE|LIMITED OFFICIAL|$)"
)
# Entries that are not addressees: page continuation, office codes, fragments of a garbled line.
_NOT_ADDRESSEE = r"^(?:PAGE[ \t]+\d{2}[ \t]|[A-Z0-9]+-\d{2}(?:[ \t]|$)|[A-Z]{1,2}$|.*/\d{3}[ \t]?[A-Z]$)"
_BARE_ROUTING_INDICATOR = r"^R[A-Z]{3,6}$"
_MONTH = r"(?:JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)"
# ``AMEMBASSY LA PAZ NOV LIMA``: a name, a month standing alone, maybe a second name.
_GLUED_BY_MONTH = (
    r"^(?P<first>(?P<post>AMEMBASSY|AMCONSUL|USMISSION|AMEMBASSY[A-Z]*)[ \t]+\S.*?)[ \t]+"
    + _MONTH
    + r"(?:[ \t]+(?P<second>[A-Z][A-Z .\-]*?))?$"
)


def header_lines(versions: pl.LazyFrame) -> pl.LazyFrame:
    """One row per line of a cable page's header, with its 1-based ``line_no``."""
    return (
        versions.select("sha256", "reference_id", pl.col("header").str.split("\n").alias("line"))
        .explode("line")
        .with_columns((pl.int_range(pl.len()).over("sha256") + 1).alias("line_no"))
    )


def recipient(versions: pl.LazyFrame, routes: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per addressee per cable page: TO and INFO lines after the FM line, in order.

    Stations an XMT line excludes from a collective are rows too, of ``kind`` ``xmt``, in order.

    ``kind`` is ``to``, ``info`` or ``xmt`` (a station excluded from a collective, see the module
    docstring). ``routes`` (``routing_indicator``, ``name``) gives ``routing_name``, the station a
    routing indicator stands for.
    """
    line = pl.col("line")
    is_fm = line.str.contains(_FM)
    # After the FM line, or anywhere in a header without one.
    in_block = (is_fm.cum_sum().over("sha256") > 0) | ~is_fm.any().over("sha256")
    opener = (
        pl.when(line.str.contains(_XMT_OPENER))
        .then(pl.lit("xmt"))
        .otherwise(line.str.extract(_TO_INFO_OPENER, 1).str.to_lowercase())
    )
    section = (
        pl.when(in_block & opener.is_not_null())
        .then(opener)
        .when(line.str.contains(_SECTION_END) | is_fm)
        .then(pl.lit("-"))
    )
    entry = line.str.replace(_OPENER, "").str.strip_chars()
    rows = (
        header_lines(versions)
        .with_columns(section.alias("_opened"))
        .with_columns(pl.col("_opened").forward_fill().over("sha256").alias("kind"))
        .filter(pl.col("kind").is_in(KINDS) & in_block & (entry != "") & ~entry.str.contains(_NOT_ADDRESSEE))
        .with_columns(entry.alias("_entry"), entry.str.extract_groups(ADDRESSEE).alias("a"))
        .unnest("a")
        .with_columns(pl.col("name").str.extract_groups(_GLUED_BY_MONTH).alias("_glued"))
        .with_columns(
            pl.when(pl.col("_glued").struct.field("first").is_not_null())
            .then(
                pl.concat_list(
                    pl.col("_glued").struct.field("first"),
                    pl.concat_str(
                        pl.col("_glued").struct.field("post"), pl.lit(" "), pl.col("_glued").struct.field("second")
                    ),
                ).list.drop_nulls()
            )
            .otherwise(pl.concat_list(pl.col("name")))
            .alias("name"),
        )
        .explode("name")
        .with_columns(
            # The serial belongs to the last addressee of a glued line.
            pl.when(pl.int_range(pl.len()).over("sha256", "line_no") + 1 < pl.len().over("sha256", "line_no"))
            .then(None)
            .otherwise(pl.col("serial"))
            .alias("serial"),
            pl.col("name").str.strip_chars().replace("", None),
            # A bare ``RUEHC`` may be a routing indicator standing alone: looked up below.
            pl.coalesce(
                "routing_indicator",
                pl.when(pl.col("name").str.contains(_BARE_ROUTING_INDICATOR)).then(pl.col("name")),
            ).alias("_route"),
        )
    )
    if routes is None:
        routes = pl.LazyFrame(schema={"routing_indicator": pl.String, "name": pl.String})
    rows = rows.join(
        routes.select(pl.col("routing_indicator").alias("_route"), pl.col("name").alias("routing_name")),
        on="_route",
        how="left",
        maintain_order="left",
    )
    bare = pl.col("routing_indicator").is_null() & pl.col("routing_name").is_not_null()
    routing_indicator = pl.when(bare).then(pl.col("_route")).otherwise(pl.col("routing_indicator"))
    name = (
        pl.when(bare | pl.col("name").is_null())
        .then(pl.coalesce("routing_name", routing_indicator, "_entry"))
        .otherwise(pl.col("name"))
    )
    return rows.select(
        "sha256",
        "reference_id",
        "kind",
        (pl.int_range(pl.len()).over("sha256") + 1).cast(pl.Int32).alias("position"),
        routing_indicator.alias("routing_indicator"),
        name.alias("name"),
        "precedence",
        "serial",
        "routing_name",
        line.str.strip_chars().alias("raw"),
    )
