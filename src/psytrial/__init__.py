"""psytrial: run and analyse double-blind randomized trials of drug-assisted psychotherapy."""

__version__ = "0.1.0"
