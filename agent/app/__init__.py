"""The agent process: wires the model, datastores, journal, transaction manager, VPP link and the
northbound servers together and runs them until SIGTERM/SIGINT (``bng-agent run``)."""
