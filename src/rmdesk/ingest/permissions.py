"""Who may import which feed and see which runs.

Administrators and the officers of an operations department import every feed. The
officers of a wealth-management and products department maintain the product shelf, so
they import the products feed, and only that one (and see only its runs).
"""

from __future__ import annotations

from rmdesk.ingest.models import Feed
from rmdesk.marketing.permissions import is_product_officer
from rmdesk.org.models import Department, Staff
from rmdesk.org.roles import Role

# The feeds a product officer may import.
SHELF_FEEDS = (Feed.PRODUCTS.value,)


def importable_feeds(actor: Staff) -> tuple[str, ...]:
    """The feeds ``actor`` may import (and whose runs they may see); empty for most."""
    if not actor.is_active:
        return ()
    if actor.is_superuser or actor.has_role(Role.ADMINISTRATOR):
        return tuple(Feed.values)
    if (
        actor.has_role(Role.DEPARTMENT_OFFICER)
        and actor.department_id is not None
        and Department.objects.filter(
            pk=actor.department_id, kind=Department.Kind.OPERATIONS
        ).exists()
    ):
        return tuple(Feed.values)
    if is_product_officer(actor):
        return SHELF_FEEDS
    return ()


def can_import(actor: Staff, feed: str | None = None) -> bool:
    """Whether ``actor`` may import ``feed`` (any feed when None: the page, the list)."""
    feeds = importable_feeds(actor)
    return bool(feeds) if feed is None else feed in feeds
