"""What every family's answers share in their rendering: dates as Twilio writes them."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@lru_cache(maxsize=4096)
def format_date(moment: datetime) -> str:
    """UTC ``YYYY-MM-DDTHH:MM:SSZ``: the only form the helper library parses into a datetime.

    Cached: channels created in the same second share a date, and strftime dominated the cost of
    rendering a page.
    """
    return moment.strftime(DATE_FORMAT)
