"""Date formats for zh-hans.

Django's own zh_Hans input formats use ``%n`` and ``%j`` (PHP-style), which ``strptime`` reads as
"day of year", so 「2026年6月30日」 never parses. ``%m``/``%d`` accept unpadded numbers too.
"""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "n月j日"
YEAR_MONTH_FORMAT = "Y年n月"
FIRST_DAY_OF_WEEK = 1
DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # 2026-06-30
    "%Y/%m/%d",  # 2026/06/30
    "%Y年%m月%d日",  # 2026年6月30日
    "%Y.%m.%d",  # 2026.6.30
]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M",
    "%Y年%m月%d日 %H:%M",
    "%Y-%m-%d",
    "%Y年%m月%d日",
]
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
