"""Messaging: conversations between the vendor and partners, and among partners."""
