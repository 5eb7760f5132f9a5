from typing import TypeVar

_Entry = TypeVar("_Entry")

def walk(
    data: bytes | bytearray | memoryview,
    pos: int,
    end: int,
    header_size: int,
    big_endian: bool,
    scale: float,
    tcp: dict[bytes, _Entry],
    udp: dict[bytes, _Entry],
    number: int,
    timestamp: float,
    partial: int,
    burst_gap: float,
    max_bursts: int,
    http: int,
    index: int,
    count: int,
    /,
) -> tuple[int, int, float, int]: ...
def walk_pcapng(
    data: bytes | bytearray | memoryview,
    pos: int,
    end: int,
    big_endian: bool,
    clocks: list[tuple[int, int, int]],
    tcp: dict[bytes, _Entry],
    udp: dict[bytes, _Entry],
    number: int,
    timestamp: float,
    partial: int,
    burst_gap: float,
    max_bursts: int,
    http: int,
    max_block: int,
    index: int,
    count: int,
    /,
) -> tuple[int, int, float, int]: ...
