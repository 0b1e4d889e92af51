"""VPP features, one package each (interfaces, bonds, VRFs, routes ...), listed in :mod:`.registry`.

A feature package holds everything about one VPP feature: ``items.py`` (configuration -> items),
``descriptors.py`` (items -> VPP calls), ``retrieve.py`` (VPP dumps -> items, for reconcile) and
``keys.py`` (its item keys); see docs/adding-a-feature.md.
"""
