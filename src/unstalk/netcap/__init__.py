"""Network captures: read pcap/pcapng, name every connection, find stalkerware traffic."""
