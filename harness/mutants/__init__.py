"""`tcb prove`: the harness proves its own power on a catalogue of realistic seeded defects.

Each defect is applied to a scratch copy of the repository (a local clone), the scenarios of the success
criterion it should break run against the shared cluster in their own namespace, and the outcome is recorded:
caught (a scenario that passes on the unchanged tree failed), survived, stale (the catalogue entry no longer
applies to the tree) or error (the run could not tell). Plain Python: no pytest imports.
"""
