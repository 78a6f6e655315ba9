"""Background work of the marketing app (see rmdesk.tasks.registry)."""

from __future__ import annotations

from rmdesk.marketing.recommendations import recommendations_refresh as _refresh
from rmdesk.tasks.registry import daily, task


@task("marketing.recommendations_refresh", schedule=daily(at="05:45"))
def recommendations_refresh() -> dict[str, int]:
    """Rebuild every customer's next best products (after the night's feeds)."""
    return _refresh()
