"""English: Django's formats (Mar. 1, 2026; 03/01/2026), with a 24-hour clock as the
bank's other screens use."""

DATETIME_FORMAT = "N j, Y, H:i"
SHORT_DATETIME_FORMAT = "m/d/Y H:i"
