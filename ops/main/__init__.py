"""Home page, language switch."""
