"""Two records or more in every list of the API, for tests that walk all of them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import select

from hub.assets import service as asset_service
from hub.assets.rules import AssetInput, AssetKind
from hub.events import log
from hub.funds import claims
from hub.mail import feed as mail_feed
from hub.orders import catalog, stock
from hub.orders import service as orders
from hub.orders.catalog import ProductInput
from hub.orders.rules import OrderStatus
from hub.orders.service import StatusChange
from hub.partners import TerritoryInput, Tier
from hub.roles import Role
from hub.runtime import Hub
from hub.webhooks import worker
from storage.models.mail import EmailFeed
from tests.conftest import data_of
from tests.factories import Actor, Factory

PAGE = "totalCount edges { cursor } pageInfo { hasNextPage endCursor }"


@dataclass(frozen=True)
class Listing:
    """One connection field: the document of a page of it, and who reads it."""

    query: str
    reader: str = "vendor"
    variables: dict[str, Any] = field(default_factory=dict)


def top(name: str, arguments: str = "") -> str:
    return f"query($first: Int, $after: String) {{ {name}(first: $first, after: $after{arguments}) {{ {PAGE} }} }}"


# Every connection field of the schema (test_every_connection_is_listed keeps this whole).
LISTINGS: dict[str, Listing] = {
    "Query.users": Listing(top("users")),
    "Query.partners": Listing(top("partners")),
    "Query.leads": Listing(top("leads")),
    "Query.dealRegistrations": Listing(top("dealRegistrations")),
    "Query.products": Listing(top("products")),
    "Query.productLines": Listing(top("productLines"), reader="seller"),
    "Query.orders": Listing(top("orders")),
    "Query.assets": Listing(top("assets")),
    "Query.articles": Listing(top("articles")),
    "Query.bestPractices": Listing(top("bestPractices")),
    "Query.courses": Listing(top("courses")),
    "Query.enrolments": Listing(top("enrolments")),
    "Query.myEnrolments": Listing(top("myEnrolments"), reader="seller"),
    "Query.certificationDefinitions": Listing(top("certificationDefinitions")),
    "Query.certifications": Listing(top("certifications")),
    "Query.conversations": Listing(top("conversations"), reader="seller"),
    "Query.partnerScorecards": Listing(top("partnerScorecards", ", period: {trailingDays: 365}")),
    "Query.opportunities": Listing(top("opportunities")),
    "Query.fundBudgets": Listing(top("fundBudgets")),
    "Query.fundAllocations": Listing(top("fundAllocations")),
    "Query.fundRequests": Listing(top("fundRequests"), reader="seller"),
    "Query.fundClaims": Listing(top("fundClaims")),
    "Query.campaigns": Listing(top("campaigns"), reader="seller"),
    "Query.incentivePrograms": Listing(top("incentivePrograms"), reader="seller"),
    "Query.partnerPrograms": Listing(top("partnerPrograms"), reader="seller"),
    "Query.partnerApplications": Listing(top("partnerApplications")),
    "Query.webhookEndpoints": Listing(top("webhookEndpoints")),
    # The invitations of the seeded users: the vendor admin reads everyone's.
    "Query.emailMessages": Listing(top("emailMessages")),
    "Query.apiKeys": Listing(top("apiKeys")),
    "Query.webhookDeliveries": Listing(
        "query($first: Int, $after: String, $id: ID!) { webhookDeliveries(endpointId: $id, "
        f"first: $first, after: $after) {{ {PAGE} }} }}"
    ),
    "IncentiveStatement.accruals": Listing(
        "query($first: Int, $after: String, $id: ID!) { incentiveStatement(programId: $id) "
        f"{{ accruals(first: $first, after: $after) {{ {PAGE} }} }} }}",
        reader="seller",
    ),
    "Query.stockMovements": Listing(
        "query($first: Int, $after: String, $sku: String!) { stockMovements(sku: $sku, "
        f"first: $first, after: $after) {{ {PAGE} }} }}"
    ),
    "BestPractice.comments": Listing(
        "query($first: Int, $after: String, $id: ID!) { bestPractice(id: $id) "
        f"{{ comments(first: $first, after: $after) {{ {PAGE} }} }} }}",
        reader="seller",
    ),
    "Conversation.messages": Listing(
        "query($first: Int, $after: String, $id: ID!) { conversation(id: $id) "
        f"{{ messages(first: $first, after: $after) {{ {PAGE} }} }} }}",
        reader="seller",
    ),
}
# Lists of one sort whatever the filter: a cursor of one is a cursor of the other.
SAME_SORT = {frozenset({"Query.enrolments", "Query.myEnrolments"})}


@dataclass
class World:
    factory: Factory
    actors: dict[str, Actor]
    ids: dict[str, str]

    async def page(
        self, name: str, *, after: str | None = None, first: int = 1, **variables: Any
    ) -> dict[str, Any]:
        """One page of a listing (the raw response body)."""
        listing = LISTINGS[name]
        given = {"first": first, "after": after, **self._ids_for(name), **variables}
        return await self.factory.gql(listing.query, given, actor=self.actors[listing.reader])

    def connection(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        data = data_of(body)
        found: dict[str, Any] = next(iter(data.values()))
        return found if "edges" in found else next(iter(found.values()))

    def _ids_for(self, name: str) -> dict[str, str]:
        if name == "BestPractice.comments":
            return {"id": self.ids["practice"]}
        if name == "Conversation.messages":
            return {"id": self.ids["conversation"]}
        if name == "IncentiveStatement.accruals":
            return {"id": self.ids["incentiveProgram"]}
        if name == "Query.webhookDeliveries":
            return {"id": self.ids["webhookEndpoint"]}
        if name == "Query.stockMovements":
            return {"sku": "SW-24"}
        return {}


async def seed(factory: Factory) -> World:
    """Fill every list with two records or more."""
    hub = factory.hub
    vendor = await factory.vendor_admin()
    california = (TerritoryInput(name="CA", regions=("US-CA",)),)
    alpha = await factory.partner("Alpha Networks", tier=Tier.GOLD, territories=california)
    beta = await factory.partner("Beta Systems", tier=Tier.SILVER)
    seller = await factory.user(alpha.id, Role.PARTNER_USER)
    await factory.user(beta.id, Role.PARTNER_USER)  # two invitation emails at least
    world = World(factory, {"vendor": vendor, "seller": seller}, {})
    gql = _caller(factory)
    for company in ("Globex", "Initech"):
        lead = {"customerCompany": company, "country": "US", "productLine": "NETWORKING"}
        await gql(vendor, CREATE_LEAD, input=lead)
    for company in ("Umbrella", "Hooli"):
        deal = {
            "customerCompany": company,
            "country": "US",
            "productLine": "NETWORKING",
            "value": {"amountMinor": 100_000, "currency": "USD"},
        }
        # A gold partner's registrations are approved at once: each opens an opportunity.
        await gql(seller, REGISTER_DEAL, input=deal)
    await stock.create_warehouse(
        hub, principal=vendor.principal, code="AMS", name="Amsterdam", country="NL"
    )
    for sku, name in (("SW-24", "Switch 24"), ("RT-1", "Router One")):
        data = ProductInput(sku, name, "NETWORKING", {"USD": 10_000})
        await catalog.create(hub, principal=vendor.principal, data=data)
        for on_hand in (40, 50):  # two recorded counts: two stock movements
            await stock.set_stock(
                hub, principal=vendor.principal, sku=sku, warehouse="AMS", on_hand=on_hand
            )
        await gql(seller, PLACE_ORDER, lines=[{"sku": sku, "quantity": 1}])
    for title in ("Switch datasheet", "Router playbook"):
        await asset_service.create(
            hub,
            principal=vendor.principal,
            data=AssetInput(title=title, kind=AssetKind.DATASHEET),
            file_name="sheet.pdf",
            chunks=_stream(b"%PDF-1.7\n" + b"sheet " * 100),
        )
    for title in ("Port security basics", "Routing in depth"):
        article = await gql(vendor, CREATE_ARTICLE, input={"title": title, "body": "Read on."})
        await gql(vendor, PUBLISH_ARTICLE, id=article["createArticle"]["id"])
    for title in ("Joint webinars win", "Cold calls fail"):
        practice = {"title": title, "problem": "p", "approach": "a", "outcome": "o"}
        submitted = await gql(seller, SUBMIT_PRACTICE, input=practice)
        world.ids["practice"] = submitted["submitBestPractice"]["id"]
        await gql(vendor, PUBLISH_PRACTICE, id=world.ids["practice"])
    for body in ("First!", "Worked for us too."):
        await gql(seller, COMMENT, id=world.ids["practice"], body=body)
    for title in ("Routing and switching", "Firewalls in practice"):
        await _certify(gql, vendor, seller, title)
    for subject in ("Q3 plan", "Q4 plan"):
        started = await gql(
            seller, START, input={"subject": subject, "userIds": [vendor.principal.user_id]}
        )
        world.ids["conversation"] = started["startConversation"]["id"]
    for body in ("Hello", "Anyone there?"):
        await gql(seller, SEND, c=world.ids["conversation"], body=body)
    await _funds(factory, gql, [alpha.id, beta.id], seller)
    await _campaigns(factory, gql)
    world.ids["incentiveProgram"] = await _incentives(factory, gql, seller)
    for name in ("Gamma Applicants", "Delta Applicants"):  # two applications
        contact = {
            "name": "Ann",
            "email": f"ann@{name[:5].lower()}.example",
            "password": "a long passphrase",
        }
        given = {"name": name, "type": "RESELLER", "country": "US", "contact": contact}
        data_of(await factory.gql(APPLY_AS_PARTNER, {"input": given}))
    for name in ("Reseller program", "MSP program"):
        made = await gql(vendor, CREATE_PARTNER_PROGRAM, input={"name": name})
        await gql(vendor, PUBLISH_PARTNER_PROGRAM, id=made["createPartnerProgram"]["id"])
    world.ids["webhookEndpoint"] = await _webhooks(factory, gql, vendor)
    integration = await factory.vendor_user(Role.INTEGRATION)
    for scopes in (["READ"], ["READ", "ORDERS"]):
        await gql(vendor, CREATE_API_KEY, user=integration.user.id, scopes=scopes)
    await _mail_fed(hub)
    return world


async def _mail_fed(hub: Hub) -> None:
    """Wait until the email of every seeded event is queued, so that no list grows while a
    test walks it (the app's own feeder may hold the feed at this moment)."""
    for _ in range(400):
        await mail_feed.feed(hub)
        async with hub.read() as session:
            fed = await session.scalar(select(EmailFeed.fed_through))
            if fed is not None and fed >= await log.newest(session):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the email feed did not catch up with the seeded events")


async def _webhooks(factory: Factory, gql: Any, vendor: Actor) -> str:
    """Two endpoints where nothing listens; the second is pinged twice and replays the order
    events, whose first delivery fails and disables it (a webhook event). Returns it."""
    for name in ("crm", "erp"):
        given = {"url": f"http://127.0.0.1:9/{name}", "topics": ["order"]}
        made = (await gql(vendor, CREATE_WEBHOOK, input=given))["createWebhookEndpoint"]
    endpoint: str = made["endpoint"]["id"]
    for _ in range(2):
        await gql(vendor, PING_WEBHOOK, id=endpoint)
    await gql(vendor, REPLAY_WEBHOOKS, id=endpoint, after="0")
    hub, kept = factory.hub, factory.hub.settings
    hub.settings = replace(kept, webhooks=replace(kept.webhooks, disable_after_failures=1))
    try:
        async with worker.client() as http:
            await worker.run_once(hub, http)
    finally:
        hub.settings = kept
    return endpoint


async def _incentives(factory: Factory, gql: Any, seller: Actor) -> str:
    """Two active programs paying per switch; two orders delivered to the seller's partner
    accrue twice in each. Returns the second program."""
    vendor = await factory.vendor_admin()
    rule = {"kind": "PER_UNIT", "productLine": "NETWORKING", "rate": 500}
    for name in ("Rebates H1", "Rebates H2"):
        given = {
            "name": name,
            "startsOn": "2026-01-01",
            "endsOn": "2026-12-31",
            "currency": "USD",
            "rules": [rule],
        }
        program = (await gql(vendor, CREATE_PROGRAM, input=given))["createIncentiveProgram"]
        await gql(vendor, ACTIVATE_PROGRAM, id=program["id"])
    for _ in range(2):
        placed = await gql(seller, PLACE_ORDER, lines=[{"sku": "SW-24", "quantity": 1}])
        for version, status in enumerate(["CONFIRMED", "ALLOCATED", "SHIPPED", "DELIVERED"], 1):
            change = StatusChange(OrderStatus(status), version, carrier="DHL", tracking_number="T1")
            await orders.change_status(
                factory.hub,
                principal=vendor.principal,
                order_id=placed["placeOrder"]["id"],
                change=change,
            )
    found: str = program["id"]
    return found


async def _campaigns(factory: Factory, gql: Any) -> None:
    """Two published campaigns for every partner."""
    vendor = await factory.vendor_admin()
    for name in ("Spring push", "Summer push"):
        given = {
            "name": name,
            "landingText": "Join in.",
            "startsOn": "2026-03-01",
            "endsOn": "2026-04-30",
        }
        made = (await gql(vendor, CREATE_CAMPAIGN, input=given))["createCampaign"]
        await gql(vendor, PUBLISH_CAMPAIGN, id=made["id"])


async def _funds(factory: Factory, gql: Any, partners: list[str], seller: Actor) -> None:
    """Two budgets, two allocations of the second, and two approved requests of the seller's
    partner with a claim each (the activity ended last month)."""
    vendor = await factory.vendor_admin()
    usd = {"amountMinor": 100_000, "currency": "USD"}
    budget = {"startsOn": "2026-01-01", "endsOn": "2026-06-30", "amount": usd}
    for name in ("MDF H1", "MDF H1 extra"):
        created = await gql(vendor, CREATE_BUDGET, input={**budget, "name": name})
    allocations = [
        (await gql(vendor, ALLOCATE, b=created["createFundBudget"]["id"], p=partner))
        for partner in partners
    ]
    for title in ("Roadshow", "Webinar"):
        asked = {
            "allocationId": allocations[0]["allocateFunds"]["id"],
            "title": title,
            "activityType": "EVENT",
            "activityStartsOn": "2026-02-01",
            "activityEndsOn": "2026-02-03",
            "amount": {"amountMinor": 1_000, "currency": "USD"},
        }
        request = (await gql(seller, SUBMIT_FUND_REQUEST, input=asked))["submitFundRequest"]
        await gql(vendor, APPROVE_FUND_REQUEST, id=request["id"])
        await claims.submit(
            factory.hub,
            principal=seller.principal,
            request_id=request["id"],
            amount_minor=1_000,
            currency="USD",
            proofs=[("invoice.pdf", _stream(b"%PDF-1.7\n" + b"invoice " * 100))],
        )


async def _certify(gql: Any, vendor: Actor, seller: Actor, title: str) -> None:
    """A course, a certification requiring it, and the seller taking it (enrolled, certified)."""
    lesson = {"title": "Read me", "url": "https://learn.example/read"}
    course = {
        "title": title,
        "estimatedMinutes": 30,
        "productLines": ["networking"],
        "published": True,
        "modules": [{"title": "Basics", "lessons": [lesson]}],
    }
    created = (await gql(vendor, CREATE_COURSE, input=course))["createCourse"]
    definition = {
        "name": f"{title} expert",
        "productLine": "NETWORKING",
        "validityDays": 365,
        "requiredCourseIds": [created["id"]],
    }
    await gql(vendor, DEFINE, input=definition)
    enrolment = (await gql(seller, ENROL, id=created["id"]))["enrol"]
    lesson_id = created["modules"][0]["lessons"][0]["id"]
    await gql(seller, COMPLETE, e=enrolment["id"], l=lesson_id)


def _caller(factory: Factory) -> Any:
    async def gql(actor: Actor, query: str, **variables: Any) -> dict[str, Any]:
        found: dict[str, Any] = data_of(await factory.gql(query, variables, actor=actor))
        return found

    return gql


async def _stream(data: bytes) -> AsyncIterator[bytes]:
    yield data


CREATE_API_KEY = """mutation($user: ID!, $scopes: [ApiKeyScope!]!) {
  createApiKey(userId: $user, name: "ERP", scopes: $scopes) { secret } }"""
CREATE_WEBHOOK = """mutation($input: WebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { endpoint { id } } }"""
PING_WEBHOOK = "mutation($id: ID!) { pingWebhookEndpoint(id: $id) { id } }"
REPLAY_WEBHOOKS = """mutation($id: ID!, $after: String!) {
  replayWebhooks(endpointId: $id, after: $after) { queued } }"""
CREATE_LEAD = "mutation($input: LeadInput!) { createLead(input: $input, route: false) { id } }"
REGISTER_DEAL = "mutation($input: DealInput!) { registerDeal(input: $input) { id } }"
PLACE_ORDER = """mutation($lines: [OrderLineInput!]!) { placeOrder(input: {lines: $lines,
  endCustomer: "Globex", currency: "USD", shippingAddress: "1 Main St", shippingCountry: "US"})
  { id } }"""
CREATE_ARTICLE = "mutation($input: ArticleInput!) { createArticle(input: $input) { id } }"
PUBLISH_ARTICLE = "mutation($id: ID!) { setArticleStatus(id: $id, status: PUBLISHED) { id } }"
SUBMIT_PRACTICE = (
    "mutation($input: BestPracticeInput!) { submitBestPractice(input: $input) { id } }"
)
PUBLISH_PRACTICE = "mutation($id: ID!) { reviewBestPractice(id: $id, decision: PUBLISH) { id } }"
COMMENT = """mutation($id: ID!, $body: String!) {
  commentOnBestPractice(practiceId: $id, body: $body) { id } }"""
CREATE_COURSE = """mutation($input: CourseInput!) {
  createCourse(input: $input) { id modules { lessons { id } } } }"""
DEFINE = """mutation($input: CertificationDefinitionInput!) {
  createCertificationDefinition(input: $input) { id } }"""
ENROL = "mutation($id: ID!) { enrol(courseId: $id) { id } }"
COMPLETE = "mutation($e: ID!, $l: ID!) { completeLesson(enrolmentId: $e, lessonId: $l) { id } }"
START = "mutation($input: ConversationInput!) { startConversation(input: $input) { id } }"
SEND = "mutation($c: ID!, $body: String!) { sendMessage(conversationId: $c, body: $body) { id } }"
APPLY_AS_PARTNER = """mutation($input: PartnerApplicationInput!) { applyAsPartner(input: $input) {
  id } }"""
CREATE_PARTNER_PROGRAM = """mutation($input: PartnerProgramInput!) {
  createPartnerProgram(input: $input) { id } }"""
PUBLISH_PARTNER_PROGRAM = """mutation($id: ID!) {
  updatePartnerProgram(id: $id, input: {status: PUBLISHED}) { id } }"""
CREATE_PROGRAM = """mutation($input: IncentiveProgramInput!) {
  createIncentiveProgram(input: $input) { id } }"""
ACTIVATE_PROGRAM = "mutation($id: ID!) { activateIncentiveProgram(id: $id) { id } }"
CREATE_CAMPAIGN = "mutation($input: CampaignInput!) { createCampaign(input: $input) { id } }"
PUBLISH_CAMPAIGN = """mutation($id: ID!) { updateCampaign(id: $id, input: {status: PUBLISHED}) {
  id } }"""
CREATE_BUDGET = "mutation($input: FundBudgetInput!) { createFundBudget(input: $input) { id } }"
ALLOCATE = """mutation($b: ID!, $p: ID!) { allocateFunds(budgetId: $b, partnerId: $p,
  amount: {amountMinor: 50000, currency: "USD"}) { id } }"""
SUBMIT_FUND_REQUEST = (
    "mutation($input: FundRequestInput!) { submitFundRequest(input: $input) { id } }"
)
APPROVE_FUND_REQUEST = "mutation($id: ID!) { approveFundRequest(id: $id) { id } }"
