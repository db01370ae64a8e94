"""What a report says of the machine it was measured on: a number means little without it."""

import os
import platform


def machine() -> str:
    """'Linux x86_64, 2 cores, 24 GiB'."""
    cores = os.cpu_count()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.system()} {platform.machine()}, {cores} cores, {memory:.0f} GiB"
