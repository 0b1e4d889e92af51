"""vppsim acl feature: see :mod:`vppsim.features`."""
