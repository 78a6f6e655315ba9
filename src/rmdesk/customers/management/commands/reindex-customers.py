from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from rmdesk.customers.services import customer_search_reindex


class Command(BaseCommand):
    help = (
        "Recompute the name tokens and the lookup digests of every customer "
        "(after a change of RMDESK_LOOKUP_KEY, or of the tokenizer)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args: Any, batch: int, **options: Any) -> None:
        started = time.monotonic()
        count = customer_search_reindex(batch_size=batch)
        self.stdout.write(f"Reindexed {count} customers in {time.monotonic() - started:.1f} s.")
