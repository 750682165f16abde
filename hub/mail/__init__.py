"""Email: notifications rendered from the event log into a durable outbox and sent by a worker
in every hub process (SMTP, or .eml files under var/outbox/ by default)."""
