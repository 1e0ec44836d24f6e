"""The weekly comment: figures from the marts, phrasing, drafts, chart and fund table."""
