#!/usr/bin/env python
"""Django's command-line utility for channelhub."""

import os
import sys

from django.core.management import execute_from_command_line


def main():
    """Run the management command named on the command line, with channelhub's settings by default."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channelhub.settings")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
