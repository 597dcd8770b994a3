"""The `psytrial` command line."""
