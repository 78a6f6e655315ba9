"""What other apps do when a feed is imported: functions run inside the import's
transaction just before the merge, while ``ingest_stage`` holds the checked rows
(``ok``) with their key ``k``. A dry run rolls them back with the merge."""

from __future__ import annotations

from collections.abc import Callable

# feed name → functions run before the merge
BEFORE_MERGE: dict[str, list[Callable[[], None]]] = {}


def before_merge(feed: str, hook: Callable[[], None]) -> None:
    """Register ``hook`` for imports of ``feed`` (once, however often it is called)."""
    hooks = BEFORE_MERGE.setdefault(feed, [])
    if hook not in hooks:
        hooks.append(hook)
