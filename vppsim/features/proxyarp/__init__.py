"""vppsim proxyarp feature: see :mod:`vppsim.features`."""
