"""vppsim interfaces feature: see :mod:`vppsim.features`."""
