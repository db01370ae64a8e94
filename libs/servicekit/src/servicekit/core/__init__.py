"""What every process of the system stands on, servicekit's lowest layer: its settings
(`settings`, with the token key they check, `public_key`), the domain errors every layer
raises (`errors`), its ids (`ids`), its garbage collector (`collector`) and how its log
lines read on a terminal (`console`: standard library only, devstack renders with it).

Imports nothing else of servicekit, and neither FastAPI nor Celery.
"""
