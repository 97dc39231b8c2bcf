"""Usage's part of automation (channelhub.automation): usage files as a subject, and the
processor it ships (registered from `usage.registration`)."""

from .processors import AcceptanceBandProcessor
from .subjects import USAGE_FILES

SUBJECTS = (USAGE_FILES,)
PROCESSORS = (AcceptanceBandProcessor,)
