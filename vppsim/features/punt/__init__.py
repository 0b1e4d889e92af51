"""VPP's punt socket (``src/vnet/ip/punt.c``, ``punt_node.c``, ``punt_api.c``): registrations over the
API, frames to the registered client and frames from it."""
