"""IPFIX (RFC 7011) and NetFlow v9 (RFC 3954) encoding and decoding.

Why a package of its own: NAT event export (the NAT logging relay, :mod:`agent.natlog`) and flow
accounting both speak these formats, towards collectors the operator chooses and from VPP. It knows no
NAT and no VPP: templates, records, messages, sequence numbers, template refresh and strict decoding.

* :mod:`.ie`: information elements (IANA's registry, the subset the project uses) and their types.
* :mod:`.template`: a template (fields, their lengths) and its fast record codec.
* :mod:`.ipfix`, :mod:`.netflow9`: one message format each, encode and decode.
* :mod:`.decoder`: a collector's side: templates per exporter, strict bounds checks, counters.
* :mod:`.exporter`: an exporter's side: packing records into messages up to a size, sequence
  numbers, template refresh.
"""

from agent.flowexport.errors import DecodeError
from agent.flowexport.template import Field, Template

__all__ = ["DecodeError", "Field", "Template"]
