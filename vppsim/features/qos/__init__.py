"""VPP's policer plugin (``src/plugins/policer``): policers, their attachment to interfaces and counters."""
