"""The command line and its Prefect glue (temporary server), outside the pure smallcap package."""
