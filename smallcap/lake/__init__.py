"""The Parquet lake: accepted batches, run records, and what has been committed."""
