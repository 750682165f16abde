"""Vendor campaigns that partners join, and what came of them."""
