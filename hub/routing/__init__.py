"""Lead routing: pure, explainable decisions over an in-memory index of partners.

The service layer builds a `RoutingIndex` from the database; `route` then picks a partner
for a lead and says why: every candidate considered with its score, and every partner
that was considered and excluded with the reason.
"""

from hub.routing.decide import route
from hub.routing.index import RoutingIndex
from hub.routing.model import (
    Area,
    Candidate,
    Decision,
    Excluded,
    Exclusion,
    LeadSpec,
    Policy,
    Scored,
    Step,
    Strategy,
    Weights,
)

__all__ = [
    "Area",
    "Candidate",
    "Decision",
    "Excluded",
    "Exclusion",
    "LeadSpec",
    "Policy",
    "RoutingIndex",
    "Scored",
    "Step",
    "Strategy",
    "Weights",
    "route",
]
