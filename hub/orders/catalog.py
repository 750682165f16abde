"""The product catalog and tier pricing; prices are computed here, never taken from clients."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from hub import product_lines, validation
from hub.db import grouped_by, in_key_order
from hub.errors import BadInput, Conflict, NotFound
from hub.leads.rules import currency as checked_currency
from hub.pagination import Page, PageRequest, keyset_page
from hub.partners.rules import Tier
from hub.roles import Principal, require_vendor_side, require_vendor_staff
from hub.runtime import Hub
from storage.models import Partner, Product, ProductPrice, TierDiscount

SKU = re.compile(r"^[A-Z0-9][A-Z0-9._-]{0,63}$")
FULL = 10_000


@dataclass(frozen=True)
class ProductInput:
    sku: str
    name: str
    product_line: str
    prices: Mapping[str, int]
    description: str | None = None
    active: bool = True


def price_list(prices: Sequence[tuple[str, int]]) -> dict[str, int]:
    """List prices by currency from (currency, minor units) pairs; one price per currency."""
    result: dict[str, int] = {}
    for index, (currency, amount_minor) in enumerate(prices):
        code = currency.strip().upper()
        if code in result:
            raise BadInput(f"two prices in {code}", field=f"listPrices.{index}.currency")
        result[code] = amount_minor
    return result


@dataclass(frozen=True)
class ProductFilter:
    product_line: str | None = None
    active: bool | None = None
    search: str | None = None


@dataclass(frozen=True)
class Quote:
    """A unit price for one product, tier and currency."""

    list_minor: int
    unit_minor: int
    discount_basis_points: int
    currency: str


def discounted(list_minor: int, basis_points: int) -> int:
    """A list price less a discount in basis points, rounded half up to a minor unit."""
    return (list_minor * (FULL - basis_points) + FULL // 2) // FULL


def checked_sku(value: str, *, field: str = "sku") -> str:
    sku = value.strip().upper()
    if not SKU.match(sku):
        raise BadInput(f"{value!r} is not a SKU (letters, digits, . _ -, up to 64)", field=field)
    return sku


async def create(hub: Hub, *, principal: Principal, data: ProductInput) -> Product:
    """Add a product to the catalog (vendor staff)."""
    require_vendor_side(principal)
    prices = _checked_prices(data.prices)
    now = hub.clock.now()
    line = validation.product_line(data.product_line, field="productLine")
    async with hub.write() as session:
        await product_lines.require(session, [line], field="productLine")
        product = Product(
            sku=checked_sku(data.sku),
            name=validation.text(data.name, field="name", max_length=200),
            description=validation.optional_text(
                data.description, field="description", max_length=10_000
            ),
            product_line=line,
            active=data.active,
            created_at=now,
            updated_at=now,
        )
        session.add(product)
        try:
            await session.flush()
        except IntegrityError:
            raise Conflict(
                f"a product with SKU {product.sku} already exists", field="sku"
            ) from None
        session.add_all(
            ProductPrice(product_id=product.id, currency=code, unit_minor=amount)
            for code, amount in prices.items()
        )
    return product


async def update(
    hub: Hub, *, principal: Principal, sku: str, changes: Mapping[str, Any]
) -> Product:
    """Change a product's name, description, line, activity or list prices (vendor staff)."""
    require_vendor_side(principal)
    async with hub.write() as session:
        product = await _by_sku(session, principal, sku, for_update=True)
        if "name" in changes:
            product.name = validation.text(str(changes["name"] or ""), field="name", max_length=200)
        if "description" in changes:
            product.description = validation.optional_text(
                changes["description"], field="description", max_length=10_000
            )
        if "product_line" in changes:
            line = validation.product_line(str(changes["product_line"] or ""), field="productLine")
            await product_lines.require(
                session, [line], field="productLine", kept=[product.product_line]
            )
            product.product_line = line
        if "active" in changes and changes["active"] is not None:
            product.active = bool(changes["active"])
        if changes.get("prices") is not None:
            prices = _checked_prices(changes["prices"])
            await session.execute(delete(ProductPrice).where(ProductPrice.product_id == product.id))
            session.add_all(
                ProductPrice(product_id=product.id, currency=code, unit_minor=amount)
                for code, amount in prices.items()
            )
        product.updated_at = hub.clock.now()
    return product


async def find(hub: Hub, sku: str) -> Product | None:
    """The product of a SKU, if there is one (for vendor-side callers)."""
    async with hub.read() as session:
        found: Product | None = await session.scalar(select(Product).where(Product.sku == sku))
        return found


async def get(hub: Hub, *, principal: Principal, sku: str) -> Product:
    async with hub.read() as session:
        return await _by_sku(session, principal, sku)


async def list_products(
    hub: Hub, *, principal: Principal, filter: ProductFilter, page: PageRequest
) -> Page[Product]:
    """Products by SKU; partners see active products only."""
    statement = _visible(principal, select(Product))
    if filter.product_line:
        statement = statement.where(
            Product.product_line
            == validation.product_line(filter.product_line, field="filter.productLine")
        )
    if filter.active is not None:
        statement = statement.where(Product.active.is_(filter.active))
    search = validation.filter_text(filter.search, field="filter.search")
    if search:
        term = search.lower()
        statement = statement.where(
            or_(
                func.lower(Product.name).contains(term, autoescape=True),
                func.lower(Product.sku).contains(term, autoescape=True),
            )
        )
    async with hub.read() as session:
        return await keyset_page(session, statement, page, key=(Product.sku,))


async def by_ids(hub: Hub, ids: Sequence[str]) -> list[Product | None]:
    """Products by id in key order (order lines keep their product even when inactive)."""
    async with hub.read() as session:
        rows = (await session.execute(select(Product).where(Product.id.in_(ids)))).scalars()
        return in_key_order(rows, ids)


async def prices_by_product(hub: Hub, ids: Sequence[str]) -> list[list[ProductPrice]]:
    """List prices of each product, by currency."""
    statement = (
        select(ProductPrice).where(ProductPrice.product_id.in_(ids)).order_by(ProductPrice.currency)
    )
    async with hub.read() as session:
        rows = (await session.execute(statement)).scalars()
        return grouped_by(rows, ids, lambda row: row.product_id)


async def set_tier_discount(
    hub: Hub, *, principal: Principal, tier: Tier, basis_points: int, sku: str | None
) -> None:
    """Set the discount of a tier, for every product or for one (vendor staff)."""
    require_vendor_staff(principal)
    if not 0 <= basis_points <= FULL:
        raise BadInput("basisPoints must be between 0 and 10000 (100%)", field="basisPoints")
    async with hub.write() as session:
        product_id = (await _by_sku(session, principal, sku)).id if sku else None
        existing = await session.execute(
            select(TierDiscount)
            .where(TierDiscount.tier == tier, _same_product(product_id))
            .with_for_update()
        )
        row = existing.scalar_one_or_none()
        if row is None:
            session.add(TierDiscount(tier=tier, product_id=product_id, basis_points=basis_points))
        else:
            row.basis_points = basis_points


async def quotes(
    session: AsyncSession, *, tier: str, currency: str, product_ids: Sequence[str]
) -> dict[str, Quote]:
    """Unit prices for a tier in a currency: a product override wins over the tier default."""
    rows = await session.execute(
        select(ProductPrice.product_id, ProductPrice.unit_minor).where(
            ProductPrice.product_id.in_(product_ids), ProductPrice.currency == currency
        )
    )
    list_prices: dict[str, int] = dict(rows.tuples().all())
    discounts = await session.execute(
        select(TierDiscount.product_id, TierDiscount.basis_points).where(
            TierDiscount.tier == tier,
            or_(TierDiscount.product_id.is_(None), TierDiscount.product_id.in_(product_ids)),
        )
    )
    default, overrides = 0, {}
    for product_id, basis_points in discounts.all():
        if product_id is None:
            default = basis_points
        else:
            overrides[product_id] = basis_points
    result = {}
    for product_id, list_minor in list_prices.items():
        basis_points = overrides.get(product_id, default)
        result[product_id] = Quote(
            list_minor, discounted(list_minor, basis_points), basis_points, currency
        )
    return result


async def quote_for(
    hub: Hub, *, principal: Principal, product_ids: Sequence[str], currency: str
) -> dict[str, Quote]:
    """Prices the caller pays: partners their tier's, vendor-side accounts the list price."""
    code = checked_currency(currency, field="currency")
    async with hub.read() as session:
        tier = "LIST"
        if principal.is_partner:
            tier = (
                await session.scalar(
                    select(Partner.tier).where(Partner.id == principal.organization_id)
                )
                or Tier.REGISTERED
            )
        return await quotes(session, tier=tier, currency=code, product_ids=product_ids)


def _same_product(product_id: str | None) -> ColumnElement[bool]:
    return (
        TierDiscount.product_id.is_(None)
        if product_id is None
        else TierDiscount.product_id == product_id
    )


def _checked_prices(prices: Mapping[str, int]) -> dict[str, int]:
    checked: dict[str, int] = {}
    for index, (code, amount) in enumerate(prices.items()):
        currency_code = checked_currency(code, field=f"listPrices.{index}.currency")
        validation.minor_units(amount, field=f"listPrices.{index}.amountMinor", what="a list price")
        if currency_code in checked:
            raise BadInput(f"two prices in {currency_code}", field=f"listPrices.{index}.currency")
        checked[currency_code] = amount
    if not checked:
        raise BadInput("a product needs at least one list price", field="listPrices")
    return checked


def _visible(principal: Principal, statement: Select[tuple[Product]]) -> Select[tuple[Product]]:
    return statement if principal.is_vendor else statement.where(Product.active.is_(True))


async def _by_sku(
    session: AsyncSession, principal: Principal, sku: str | None, *, for_update: bool = False
) -> Product:
    statement = _visible(principal, select(Product)).where(
        Product.sku == (sku or "").strip().upper()
    )
    if for_update:
        statement = statement.with_for_update()
    product = (await session.execute(statement)).scalar_one_or_none()
    if product is None:
        raise NotFound(f"no product with SKU {sku!r}", field="sku")
    return product
