"""Prefect tasks: thin wrappers that name each step of the run and declare its retries."""
