"""Southbound layer: everything the agent knows about talking to VPP (or vppsim) over its binary API.

``agent.vpp.api`` holds the project's API definitions for VPP 26.06 (VPP's own ``.api.json`` format) and
the list of messages the agent calls; the connection, naming, descriptors, planner, executor and
reconciler modules build on it.
"""
