"""Orders: catalog, tier pricing, stock and availability-to-promise (order placement next)."""
