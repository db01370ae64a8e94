"""skaffold dev, inside a service's `dev` image: the sources of the service and of the
shared libraries (servicekit, servicecontracts) are served from /tmp/dev, an emptyDir
that file sync can write while the root filesystem stays read-only, and that uvicorn
--reload watches.

Imported by 00-dev-sources.pth when any Python process of the image starts, before
the editable installs' .pth files add /tmp/dev/... to sys.path (they add only paths
that exist): it copies each `image-path=dev-path` pair of DEV_SOURCES there once.
"""

import os
import shutil
import tempfile


def copy_sources(pairs: str) -> None:
    for pair in pairs.split():
        baked, _, served = pair.partition("=")
        if os.path.isdir(served):
            continue
        os.makedirs(os.path.dirname(served), exist_ok=True)
        # Copied beside, then renamed: a second process starting at the same moment
        # sees either nothing or the whole tree.
        staging = tempfile.mkdtemp(dir=os.path.dirname(served))
        shutil.copytree(baked, staging, dirs_exist_ok=True)
        try:
            os.rename(staging, served)
        except OSError:  # the other process won
            shutil.rmtree(staging, ignore_errors=True)


copy_sources(os.environ.get("DEV_SOURCES", ""))
