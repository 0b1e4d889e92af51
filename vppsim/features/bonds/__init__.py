"""vppsim bonds feature: see :mod:`vppsim.features`."""
