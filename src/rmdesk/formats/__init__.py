"""How numbers and dates read in each language (settings.FORMAT_MODULE_PATH).

Only what differs from Django's own locale formats is set here; the rest falls back.
"""
