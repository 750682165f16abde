"""Leads: routing to partners, acceptance deadlines, the pipeline, and deal registration."""
