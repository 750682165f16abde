"""Collateral: assets with versions in the object store, entitlement, downloads and usage."""
