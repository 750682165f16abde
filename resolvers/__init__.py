"""Root Query and Mutation fields per domain, merged into one schema."""
