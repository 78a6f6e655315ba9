from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from rmdesk.demo.bank import demo_password_path, login_table


class Command(BaseCommand):
    help = "Print the demo bank's logins and their password."

    def handle(self, *args: Any, **options: Any) -> None:
        path = demo_password_path()
        password = (
            path.read_text().strip() if path.exists() else "(set with `rmdesk seed --password`)"
        )
        self.stdout.write("Demo logins (every login has the same password):")
        for login, what in login_table():
            self.stdout.write(f"  {login:<34} {what}")
        self.stdout.write(f"Password: {password}")
