"""DNS messages seen in a capture: their questions as records, their answers as a name book.

The extractor hands every DNS message (over UDP, or cut out of a TCP stream) to
:class:`DnsBook`. Each question becomes a :class:`~unstalk.netcap.model.DnsRecord`;
each answered address remembers the name the client asked for, so a later
connection to that address can be named (:meth:`DnsBook.name_for`).
"""

from __future__ import annotations

from collections import Counter

from unstalk.netcap.model import DnsRecord, Transport
from unstalk.netcap.parsers import dns

__all__ = [
    "DNS_CACHE_MESSAGE",
    "DNS_CACHE_SIZE",
    "MAX_NAMES_PER_ADDRESS",
    "DnsBook",
    "Resolved",
    "join_resolved",
    "name_for",
]

MAX_NAMES_PER_ADDRESS = 16
DNS_CACHE_SIZE = 4096
DNS_CACHE_MESSAGE = 1500
"""Longest DNS message whose parse is cached: the cache holds a few MiB at most."""

_Parsed = tuple[dns.DnsMessage, tuple[tuple[str, str], ...], tuple[str, ...]]
Resolved = dict[str, list[tuple[float, str, int]]]
"""Address to the ``(time, name, frame number)`` of the answers that gave it, oldest first."""


class DnsBook:
    """DNS records in capture order, and the names each address was given."""

    def __init__(self, malformed: Counter[str]) -> None:
        self.records: list[DnsRecord] = []
        self._malformed = malformed
        self.resolved: Resolved = {}
        self._cache: dict[bytes, _Parsed] = {}

    def message(
        self, data: bytes, seen: tuple[int, float], src: str, dst: str, transport: Transport
    ) -> None:
        """Record one DNS message sent from ``src`` to ``dst`` in frame ``seen`` (number, time)."""
        parsed = self._parsed(data)
        if parsed is None:
            return
        message, questions, answers = parsed
        response = message.response
        client, server = (dst, src) if response else (src, dst)
        number, timestamp = seen
        append = self.records.append
        for name, qtype in questions:
            append(
                DnsRecord(
                    number, timestamp, client, server, name, qtype, answers, transport, response
                )
            )
        if response and message.questions:
            self._remember(message.questions[0][0], message.answers, seen)

    def _parsed(self, data: bytes) -> _Parsed | None:
        """The message, its ``(name, qtype name)`` questions and all it answers, or None."""
        # Phones repeat the same questions (and get the same answers) over and over; only
        # the 2-byte ID differs and nothing here reads it, so the rest keys a cache.
        key = data[2:]
        parsed = self._cache.get(key)
        if parsed is not None:
            return parsed
        try:
            message = dns.parse_message(data)
        except dns.DnsFormatError as e:
            self._malformed[f"dns.{e.reason}"] += 1
            return None
        answers = tuple(v for a in message.answers for v in (*a.names, *a.addresses))
        questions = tuple((name, dns.qtype_name(qtype)) for name, qtype in message.questions)
        parsed = (message, questions, answers)
        if len(data) <= DNS_CACHE_MESSAGE:
            if len(self._cache) >= DNS_CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = parsed
        return parsed

    def _remember(
        self, name: str, answers: tuple[dns.DnsAnswer, ...], seen: tuple[int, float]
    ) -> None:
        """Map each answered address to the name the client asked for (not a CNAME target)."""
        number, timestamp = seen
        for answer in answers:
            for address in answer.addresses:
                names = self.resolved.setdefault(address, [])
                names.append((timestamp, name, number))
                if len(names) > MAX_NAMES_PER_ADDRESS:
                    del names[0]


def name_for(resolved: Resolved, address: str, before: float) -> str | None:
    """The name most recently resolved to ``address`` at or before ``before``, if any."""
    for timestamp, name, _ in reversed(resolved.get(address, ())):
        if timestamp <= before:
            return name
    return None


def join_resolved(books: list[Resolved]) -> Resolved:
    """The book one reader of the whole capture would hold, from books of parts of its flows.

    Each book keeps an address's last :data:`MAX_NAMES_PER_ADDRESS` answers in capture
    order. The whole capture's last answers for an address are among the last ones of
    the part each came from, so putting the parts' answers back in frame order and
    keeping the last ones gives the same list.
    """
    if len(books) == 1:
        return books[0]
    joined: Resolved = {}
    for book in books:
        for address, names in book.items():
            joined.setdefault(address, []).extend(names)
    for address, names in joined.items():
        names.sort(key=lambda entry: entry[2])
        joined[address] = names[-MAX_NAMES_PER_ADDRESS:]
    return joined
