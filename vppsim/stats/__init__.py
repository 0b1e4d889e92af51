"""vppsim's statistics segment: VPP 26.06's shared-memory counters, readable by ``vpp_papi.vpp_stats``.

Public API (what the rest of vppsim calls)::

    seg = StatsSegment(size_bytes=64 << 20, workers=0, interface_symlinks=True,
                       counters_under_lock=True)
    seg.add_interface(sw_if_index, name)          # /if/names, zeroed /if/* counters, /interfaces/* links
    seg.add_interfaces([(sw_if_index, name), ...])
    seg.remove_interface(sw_if_index)
    n = seg.update_interfaces_fitting(removed, added)  # withdraw, then publish what fits (a prefix)
    seg.heap_status()                             # capacity, used, free, quarantined, high_water
    seg.add_traffic(sw_if_index, rx_packets, rx_bytes, tx_packets, tx_bytes, rx_unicast=True,
                    drops=0, rx_errors=0, tx_errors=0)
    seg.add_traffic_bulk([(sw_if_index, rx_packets, rx_bytes, tx_packets, tx_bytes), ...])
    seg.set_counter("/if/rx", sw_if_index, (packets, bytes))   # or an int for a simple counter
    seg.clear_interface_counters()
    cols = seg.register_errors("ip4-input", ["ttl_expired", ...])  # /node/errors + /err/<node>/<reason>
    seg.count_error(cols[0], 5, thread_index=0)
    seg.register_collector(fn)                    # called on every tick
    seg.tick()                                    # collectors, heartbeat, vector rate, heap usage
    server = await seg.serve("/run/vpp/stats.sock")
    seg.close()
"""

from vppsim.stats.errors import StatsSegmentError, StatsSegmentFullError
from vppsim.stats.segment import StatsSegment, TrafficRow
from vppsim.stats.server import StatsSocketServer

__all__ = ["StatsSegment", "StatsSegmentError", "StatsSegmentFullError", "StatsSocketServer", "TrafficRow"]
