"""Simplified Chinese as Chinese banks write it.

Amounts are grouped by thousands with a comma (¥1,234,567.89), as on statements and
vouchers; Django's own zh_Hans formats leave them ungrouped. Short dates are
2026-03-01, long dates 2026年3月1日.
"""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
