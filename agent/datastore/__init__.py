"""Datastore layer: NMDA datastores as libyang trees, edits, reads, diff, validation, locks."""
