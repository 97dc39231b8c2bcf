"""The back office's one date format, with its time zone (Django's `date` syntax): what the
admin's lists and pages show for every date and time, whatever the locale would pick."""

DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i T"
TIME_FORMAT = "H:i T"
