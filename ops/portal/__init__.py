"""The client portal: a client user's own company only."""
