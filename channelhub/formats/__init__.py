"""Date and time formats of the back office (FORMAT_MODULE_PATH): one format, with its time zone, everywhere."""
