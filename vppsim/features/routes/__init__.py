"""vppsim routes feature: see :mod:`vppsim.features`."""
