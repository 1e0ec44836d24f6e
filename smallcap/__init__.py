"""smallcap-weekly: weekly closes of US small-cap growth vs large caps, from source to draft comment."""

__version__ = "0.1.0"
