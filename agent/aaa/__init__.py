"""Subscriber AAA with RADIUS: the client (authentication and accounting), attribute mapping onto session
policy, and the glue that authenticates IPoE sessions before they are activated.

The packet and attribute code (:mod:`agent.aaa.packet`, :mod:`agent.aaa.dictionary`) has no I/O and no
session knowledge, so the CoA/Disconnect listener and operator logins reuse it rather than growing a
second RADIUS implementation.
"""
