"""vppsim's VPP features, one package each (``handlers.py`` for the API messages, ``state.py`` for what
VPP keeps), named like the agent's feature packages."""
