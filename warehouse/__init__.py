"""The DuckDB warehouse: SQL models by layer (raw → staging → marts) and the code that builds them."""
