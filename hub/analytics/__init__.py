"""Channel analytics: periods, money across currencies, revenue rollups and reports."""
