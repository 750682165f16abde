"""The domain: settings, identity and permissions, partners, and the rules they follow."""
