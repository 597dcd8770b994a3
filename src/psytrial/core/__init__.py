"""The pure trial domain: protocols, allocation, dosing, instruments, visits, status, blinding.

Nothing here imports Django or touches a database, a clock or a random source of its own:
time, randomness and data come in as arguments, so every function is testable in isolation.
"""
