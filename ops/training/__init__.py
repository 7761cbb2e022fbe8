"""Training: materials (versioned uploads), sessions, attendance and exams."""
