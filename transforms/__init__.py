"""Pure Polars transforms: landed cable pages in, warehouse tables out (no file or network I/O)."""

# The engine the parse collects its queries with. A batch is a few thousand pages and its
# queries are many small regex, window and join steps: Polars' in-memory engine runs them 20-40 %
# faster than the streaming engine (the default of Polars 2), whose set-up per query dominates
# at that size. Measured by ``bench/run.py`` (docs/performance.md).
BATCH_ENGINE = "in-memory"
