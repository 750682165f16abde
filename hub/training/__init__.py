"""Training: courses, enrolments, graded assessments, certifications and tier requirements."""
