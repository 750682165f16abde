"""Leads kept in step with the vendor's CRM and its lead files: each lead sent is created, or
found again and updated, so sending the same lead twice never makes two.

A lead is found by the CRM's `externalId` when it has one; without one, by the customer's
normalised identity (the one the channel-conflict check uses) and product line, among leads
not yet WON or LOST. A lead found and sent unchanged stays as it is (no new version, no
event). A lead with a partner keeps its customer and product line: those change only while
the lead waits for routing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub import product_lines
from hub.errors import BadInput, Conflict
from hub.leads import assign, snapshot
from hub.leads.rules import ROUTABLE, CheckedLead, LeadEventType, LeadStatus
from hub.roles import Principal, require_vendor_side
from hub.runtime import Hub
from storage.models import Lead

# The API's name of each field an update may change.
UPDATABLE = {
    "customer_company": "customerCompany",
    "contact_name": "contactName",
    "email": "email",
    "email_domain": "email",
    "phone": "phone",
    "region": "region",
    "postal_code": "postalCode",
    "latitude": "latitude",
    "longitude": "longitude",
    "value_minor": "estimatedValue",
    "currency": "estimatedValue",
    "expected_close": "expectedClose",
    "source": "source",
}
# What makes the lead's customer: fixed once the lead is with a partner.
IDENTITY = {"customer_key": "customerCompany", "country": "country", "product_line": "productLine"}
CLOSED = (LeadStatus.WON, LeadStatus.LOST)


class Change(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"


# The fields a sent lead always has, and what each optional input field stands for.
REQUIRED = frozenset({"customer_company", "customer_key", "country", "product_line"})
STANDS_FOR = {
    "estimated_value": ("value_minor", "currency"),
    "email": ("email", "email_domain"),
}


@dataclass(frozen=True)
class Sent:
    """A lead as sent, and which of its fields were: an update keeps those left out."""

    lead: CheckedLead
    given: frozenset[str] | None = None  # None: every field

    @classmethod
    def of(cls, lead: CheckedLead, names: Iterable[str]) -> Sent:
        """The lead with the input's field names given (estimated_value, email, region...)."""
        given = {column for name in names for column in STANDS_FOR.get(name, (name,))}
        return cls(lead, frozenset(given | REQUIRED))

    def sends(self, column: str) -> bool:
        return self.given is None or column in self.given


@dataclass(frozen=True)
class Upserted:
    lead: Lead
    change: Change


def lock_keys(item: CheckedLead) -> list[str]:
    """What two transactions upserting this lead at once must not both decide: its external
    id and its customer."""
    keys = snapshot.identities(item.customer_key, item.email_domain)
    return [*keys, f"external:{item.external_id}"] if item.external_id else keys


async def apply(
    hub: Hub, *, principal: Principal, items: Sequence[Sent], route_now: bool
) -> list[Upserted]:
    """Create or update each lead in one transaction of its own; new ones are then routed."""
    async with hub.write() as session:
        return await _apply(hub, session, principal=principal, items=items, route_now=route_now)


async def _apply(
    hub: Hub,
    session: AsyncSession,
    *,
    principal: Principal,
    items: Sequence[Sent],
    route_now: bool,
) -> list[Upserted]:
    """Create or update each lead in the session's transaction; new ones are then routed.

    Locks go rows first, customers after, as everywhere else a lead is changed: the leads
    already there are locked (in id order), then the customers of the others, which are
    looked for once more before one is made (a racing upsert may have made it meanwhile).
    Each look is one query for the whole batch.
    """
    require_vendor_side(principal)
    now = hub.clock.now()
    leads = [sent.lead for sent in items]
    await product_lines.require(session, {item.product_line for item in leads}, field="productLine")
    there = await _existing(session, leads, lock=False)
    found = await _lock(session, there)
    missing = [item for item in leads if key_of(item) not in found]
    if missing:
        await snapshot.CUSTOMERS.take(session, [key for item in missing for key in lock_keys(item)])
        found |= await _existing(session, missing, lock=True)
    results: list[Upserted] = []
    created: list[Lead] = []
    for sent in items:
        item = sent.lead
        lead = found.get(key_of(item))
        if lead is None:
            lead = new_lead(item, principal, now)
            session.add(lead)
            found[key_of(item)] = lead  # a later item of the batch updates it
            created.append(lead)
            results.append(Upserted(lead, Change.CREATED))
            continue
        changed = _update(lead, sent)
        if changed:
            assign.touch(hub, lead)
            await assign.emit(
                hub,
                session,
                lead,
                LeadEventType.LEAD_UPDATED,
                assign.audience(lead),
                {"fields": changed},
            )
        results.append(Upserted(lead, Change.UPDATED if changed else Change.UNCHANGED))
    await session.flush()
    if route_now and created:
        routing = await assign.router(hub, session, now)
        for lead in created:
            await routing.offer(lead, by=principal.user_id)
    return results


Key = tuple[str, ...]


def new_lead(item: CheckedLead, principal: Principal, now: datetime) -> Lead:
    """A NEW lead of the checked fields, created by the principal now."""
    return Lead(
        **vars(item),
        status=LeadStatus.NEW,
        created_by_id=principal.user_id,
        created_at=now,
        updated_at=now,
        version=1,
    )


def key_of(item: CheckedLead | Lead) -> Key:
    """What finds a lead: its external id, else its customer and product line."""
    if item.external_id is not None:
        return ("external", item.external_id)
    return ("customer", item.customer_key, item.product_line)


async def _existing(
    session: AsyncSession, items: Sequence[CheckedLead], *, lock: bool
) -> dict[Key, Lead]:
    """The leads the items are, by key: by external id, else the newest open lead of the
    same customer and product line (one query per kind)."""
    externals = sorted({item.external_id for item in items if item.external_id is not None})
    customers = sorted({item.customer_key for item in items if item.external_id is None})
    wanted = {key_of(item) for item in items}
    statements: list[tuple[Select[tuple[Lead]], Callable[[Lead], Key]]] = []
    if externals:
        by_external = select(Lead).where(Lead.external_id.in_(externals))
        statements.append((by_external, lambda lead: ("external", lead.external_id or "")))
    if customers:
        by_customer = (
            select(Lead)
            .where(Lead.customer_key.in_(customers), Lead.status.not_in(list(CLOSED)))
            .order_by(Lead.created_at, Lead.id)
        )
        statements.append(
            (by_customer, lambda lead: ("customer", lead.customer_key, lead.product_line))
        )
    found: dict[Key, Lead] = {}
    for statement, key in statements:
        if lock:
            statement = statement.with_for_update()
        for lead in (await session.execute(statement)).scalars():
            if key(lead) in wanted:
                found[key(lead)] = lead  # in creation order: the newest stays
    return found


async def _lock(session: AsyncSession, there: dict[Key, Lead]) -> dict[Key, Lead]:
    """Lock the leads found (in id order) and read them again as they are now."""
    if not there:
        return {}
    rows = await session.execute(
        select(Lead)
        .where(Lead.id.in_(sorted({lead.id for lead in there.values()})))
        .order_by(Lead.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    fresh = {lead.id: lead for lead in rows.scalars()}
    return {key: fresh[lead.id] for key, lead in there.items() if lead.id in fresh}


async def require_new_external_id(session: AsyncSession, external_id: str | None) -> None:
    """Refuse creating a second lead with a CRM id already taken (the caller holds its lock)."""
    if external_id is None:
        return
    taken = await session.scalar(select(Lead.id).where(Lead.external_id == external_id))
    if taken is not None:
        raise Conflict(
            f"a lead with externalId {external_id!r} exists ({taken}); update it with upsertLeads",
            field="input.externalId",
        )


def _update(lead: Lead, sent: Sent) -> list[str]:
    """Apply what was sent and differs; the API names of the fields changed, in one order."""
    item = sent.lead
    moved = [
        api for column, api in IDENTITY.items() if getattr(lead, column) != getattr(item, column)
    ]
    if moved and lead.status not in ROUTABLE:
        raise BadInput(
            f"the lead is {lead.status} with a partner: its {', '.join(dict.fromkeys(moved))} "
            "cannot change (recycle it first, or send it as a new lead without this externalId)",
            field=moved[0],
        )
    changed: dict[str, None] = {}
    for column, api in {**IDENTITY, **UPDATABLE}.items():
        if not sent.sends(column) or (column == "customer_company" and not item.external_id):
            # Found by its customer, a lead keeps the name it has: "Initech" and "Initech Inc"
            # in one file must not rename it back and forth on every import.
            continue
        value = getattr(item, column)
        if getattr(lead, column) != value:
            setattr(lead, column, value)
            changed[api] = None
    return list(changed)
