"""Who may connect and what they may do: local users (ietf-system) and NACM (RFC 8341).

Both protocol servers (NETCONF and gNMI) authenticate against the same users and authorise through the
same NACM rules, so this lives below the northbound layer rather than inside either server.
"""
