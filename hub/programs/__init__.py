"""Partner programs, their agreements and the onboarding checklist."""
