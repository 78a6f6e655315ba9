from __future__ import annotations

import sys
from pathlib import Path

# The helpers and the probe tasks are imported by module name (and by the workers).
sys.path.insert(0, str(Path(__file__).parent))

# The shared cast of the app tests (a small bank), for the ops tests too.
from rmdesk.conftest import _fast_password_hashing, browser_for, cast, client_for  # noqa: E402, F401
