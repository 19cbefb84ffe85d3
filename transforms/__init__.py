"""Pure Polars transforms: landed cable pages in, warehouse tables out (no file or network I/O)."""
