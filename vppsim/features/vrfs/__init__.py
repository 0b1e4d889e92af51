"""vppsim vrfs feature: see :mod:`vppsim.features`."""
