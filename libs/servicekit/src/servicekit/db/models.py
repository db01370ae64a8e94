"""What every service's ORM models share: constraint names and column types.

They are declared once in servicecontracts.storage, where the tables two services share
are declared with them too; the services' own models and migrations take them from here.
Each service declares its own `Base` with `MetaData(naming_convention=NAMING_CONVENTION)`:
one shared metadata would hold every service's tables wherever two are imported together.
"""

from datetime import UTC, datetime

from servicecontracts.storage import NAMING_CONVENTION as NAMING_CONVENTION
from servicecontracts.storage import UTCDateTime as UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)
