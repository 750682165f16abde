"""Composition root: the Starlette app, the GraphQL transports, health, and the CLI."""
