"""Arguments many root fields share, described once."""

from __future__ import annotations

from typing import Annotated

import strawberry

First = Annotated[
    int | None,
    strawberry.argument(
        description="How many items to return at most: 0 up to the hub's page cap "
        "(MAX_PAGE_SIZE, 100 by default); 20 when left out."
    ),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="The `cursor` of the edge to continue after (opaque); from the start when "
        "left out."
    ),
]
Id = Annotated[
    strawberry.ID,
    strawberry.argument(description="The id of the record the field reads or acts on."),
]
ExpectedVersion = Annotated[
    int | None,
    strawberry.argument(
        description="The `version` the caller last read: a CONFLICT error when the record has "
        "changed since; no check when left out."
    ),
]
EventsAfter = Annotated[
    str | None,
    strawberry.argument(
        description="The `cursor` of the last event received: the events after it are replayed "
        "first, then live ones follow; live events only when left out."
    ),
]
ExpiresInSeconds = Annotated[
    int,
    strawberry.argument(
        description="How long the link stays valid, in seconds: 10 up to 604800 (7 days)."
    ),
]
ApproverNote = Annotated[
    str | None,
    strawberry.argument(description="The approver's note, shown to the partner."),
]
