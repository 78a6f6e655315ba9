"""Screenshots of the home pages for the README, taken from a running demo server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from rmdesk.demo.bank import demo_password_path

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 800}
SHOTS = (("manager", "manager-home.png"), ("head", "branch-head-home.png"))


class Command(BaseCommand):
    help = (
        "Sign in to a running demo server (`make demo`) as an account manager and a branch "
        "head, and save their home pages (desktop, English) as PNG files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the demo server")
        parser.add_argument("--manager", default="rm-0001", help="the account manager's login")
        parser.add_argument("--head", default="branch-head-01", help="the branch head's login")
        parser.add_argument(
            "--password", default="", help="the demo password (default: the one `seed` saved)"
        )
        parser.add_argument("--out", default="docs/screenshots", help="where to write the PNGs")
        parser.add_argument("--language", default="en", help="the page language (en, zh-hans)")

    def handle(self, *args: Any, **options: Any) -> None:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        password = options["password"]
        if not password:
            path = demo_password_path()
            if not path.exists():
                raise CommandError(f"No demo password at {path}: pass --password.")
            password = path.read_text().strip()
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        url = options["url"].rstrip("/")
        logins = {"manager": options["manager"], "head": options["head"]}
        launch: dict[str, Any] = {"args": ["--headless=new", "--no-sandbox", "--disable-gpu"]}
        if CHROMIUM.exists():
            launch["executable_path"] = str(CHROMIUM)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(**launch)
                try:
                    for who, name in SHOTS:
                        context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
                        page = context.new_page()
                        page.goto(f"{url}/login/")
                        page.fill("#id_username", logins[who])
                        page.fill("#id_password", password)
                        page.click("button[type=submit].primary")
                        page.wait_for_load_state()
                        if "/login/" in page.url:
                            raise CommandError(f"{logins[who]} could not sign in at {url}.")
                        page.goto(f"{url}/")
                        page.select_option("#language", options["language"])
                        page.locator("form.lang button[type=submit]").click()
                        page.wait_for_load_state()
                        page.locator(".wb").wait_for()
                        target = out / name
                        page.screenshot(path=str(target), full_page=True)
                        context.close()
                        self.stdout.write(f"{logins[who]}: {target}")
                finally:
                    browser.close()
        except PlaywrightError as exc:
            raise CommandError(f"The browser failed: {exc}") from exc
