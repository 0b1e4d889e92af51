"""The IP neighbour table (``src/vnet/ip-neighbor``) as far as the ND guard reads and edits it."""
