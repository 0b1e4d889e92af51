"""VPP NAT plugins (nat44-ed, det44) as vppsim emulates them."""
