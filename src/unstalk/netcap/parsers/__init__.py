"""Pure parsers: capture files, link and IP layers, DNS, TLS, QUIC and HTTP."""
