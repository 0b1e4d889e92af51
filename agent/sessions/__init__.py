"""Subscriber sessions: the session table, its write-ahead log, the subscriber manager and the second
item source of the southbound (docs/subscribers.md). The contract other services code against is
:mod:`agent.sessions.api`; this package imports no protocol server."""
