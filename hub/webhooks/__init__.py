"""Webhooks: endpoints the vendor registers and the worker that delivers the event log to
them, signed (Standard Webhooks), in order, at least once, never from the request path."""
