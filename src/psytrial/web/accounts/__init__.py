"""Accounts: log-in with lockout, session expiry, and per-user API tokens stored hashed."""
