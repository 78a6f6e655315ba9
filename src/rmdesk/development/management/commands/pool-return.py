from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rmdesk.development.pool import pool_return_due


class Command(BaseCommand):
    help = "Return to the unclaimed pool what was left without contact past its rule."

    def handle(self, *args: Any, **options: Any) -> None:
        result = pool_return_due()
        self.stdout.write(
            f"Returned {result['prospects']} prospects and {result['customers']} customers."
        )
