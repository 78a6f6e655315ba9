from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from rmdesk.marketing.recommendations import recommendations_refresh


class Command(BaseCommand):
    help = (
        "Rebuild every customer's next best products (the marketing.recommendations_refresh task)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        result = recommendations_refresh()
        self.stdout.write(
            f"{result['recommendations']} recommendations over {result['products']} products "
            f"and {result['profiles']} profiles, {result['customers_written']} customers "
            f"written, in {time.monotonic() - started:.1f} s."
        )
