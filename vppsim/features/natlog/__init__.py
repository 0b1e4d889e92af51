"""NAT event logging: VPP's IPFIX exporter 0 and the NAT plugin's IPFIX logging."""
