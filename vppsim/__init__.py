"""vppsim: a stand-alone VPP emulator speaking VPP's binary API on a unix socket and serving a stats
segment, so the agent and its tests run exactly as they would against VPP 26.06 (see docs/architecture.md).

Layout: ``codec`` (API definitions and wire framing), ``state`` (interfaces, FIB, bonds as plain Python),
``handlers`` (one module per VPP API file, registered by message name), ``server`` (the API socket),
``control`` (the JSON-lines control channel), ``emulator`` (ties them together), ``cli`` (the program).
"""
