"""Secrets kept in Prefect blocks, resolved here so smallcap/ never imports Prefect."""

from __future__ import annotations

from smallcap.errors import SourceError
from smallcap.settings import Settings
from smallcap.sources.fred import api_key_from_settings


def fred_api_key() -> str | None:
    """The FRED API key: SMALLCAP_FRED_API_KEY, else the Prefect Secret block named by SMALLCAP_FRED_API_KEY_BLOCK."""
    settings = Settings()
    block = settings.fred_api_key_block
    if settings.fred_api_key is not None or not block:  # a key in the environment wins over a block
        return api_key_from_settings()
    from prefect.blocks.system import Secret

    try:
        return str(Secret.load(block).get()) or None
    except ValueError as exc:  # Prefect's "block not found"
        raise SourceError(f"fred: Prefect Secret block {block!r} not found") from exc
