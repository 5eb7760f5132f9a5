"""Generator of packet captures for the netcap tests.

``frames`` builds packets (link layers, IPv4/IPv6, TCP/UDP with checksums),
``pcap_writer`` writes them as pcap or pcapng, ``scenarios`` strings them into
named captures, and ``tshark`` runs tshark on them as the oracle. Everything is
deterministic: the same call writes the same bytes.
"""
