"""The in-silico trial: plays a virtual cohort through the web layer's action functions."""
