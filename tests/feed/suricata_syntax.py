"""A checker of Suricata rule syntax, for the keywords unstalk's rules and Echap's rules use.

Suricata is not installable on the development machines, so the tests check rules against
the grammar in Suricata's rule documentation (rules/intro, meta, payload, transforms,
dns/tls/http keywords, flow) instead:

- header ``action protocol src sport direction dst dport``, with addresses (``any``, a
  ``$VARIABLE``, an IP address or CIDR range, a ``[list]``, ``!`` negation) and ports;
- options in parentheses, each ending at the first ``;`` not escaped by a backslash;
- ``msg`` and ``content`` quoted, with ``"``, ``;`` and ``\\`` escaped inside and well-formed
  ``|hex|`` sections in content;
- known keywords only, content modifiers after a content, ``dotprefix`` right after its
  sticky buffer, sticky buffers only in rules of their protocol, ``http.host`` content in
  lower case and without ``nocase`` (Suricata refuses both);
- ``msg``, ``sid`` and ``rev`` present, ``sid`` unique across a file.

:meth:`Rule.matches` runs a rule's first content on a name the way Suricata's dotprefix,
nocase, depth and endswith would, so tests can show what a domain rule catches.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

ACTIONS = frozenset({"alert", "pass", "drop", "reject", "rejectsrc", "rejectdst", "rejectboth"})
PROTOCOLS = frozenset({"ip", "tcp", "udp", "icmp", "dns", "tls", "http", "http1", "http2"})
CLASSTYPES = frozenset(
    {
        "targeted-activity",
        "policy-violation",
        "trojan-activity",
        "bad-unknown",
        "misc-activity",
        "social-engineering",
        "domain-c2",
    }
)
REFERENCE_TYPES = frozenset({"url", "cve", "bugtraq", "nessus", "arachnids", "mcafee", "md5"})
FLOW_WORDS = frozenset(
    {"to_client", "to_server", "from_client", "from_server", "established", "stateless"}
)
STICKY_BUFFERS = {"dns.query": "dns", "tls.sni": "tls", "http.host": "http"}
TRANSFORMS = frozenset({"dotprefix"})
FLAG_MODIFIERS = frozenset({"nocase", "endswith", "startswith", "fast_pattern"})
INT_MODIFIERS = frozenset({"depth", "offset"})
META = frozenset({"msg", "sid", "rev", "classtype", "reference", "metadata", "flow"})
KNOWN = META | {"content"} | set(STICKY_BUFFERS) | TRANSFORMS | FLAG_MODIFIERS | INT_MODIFIERS
ESCAPABLE = frozenset('";\\:')
_VARIABLE = re.compile(r"\$[A-Z_][A-Z0-9_]*")
_METADATA_ITEM = re.compile(r"[A-Za-z0-9_-]+ \S.*")


class RuleSyntaxError(ValueError):
    """A rule Suricata would refuse to load."""


@dataclass
class Content:
    """One content match: the bytes it looks for, in which buffer, with which modifiers."""

    pattern: bytes
    buffer: str | None
    dotprefix: bool
    flags: set[str] = field(default_factory=set)
    ints: dict[str, int] = field(default_factory=dict)


@dataclass
class Rule:
    action: str
    protocol: str
    destination: str
    options: list[tuple[str, str | None]]
    contents: list[Content]
    msg: str
    sid: int
    rev: int

    def option(self, name: str) -> str | None:
        return next((v for k, v in self.options if k == name), None)

    def matches(self, name: str) -> bool:
        """True if the rule's first content matches ``name`` in its buffer."""
        content = self.contents[0]
        data = (b"." if content.dotprefix else b"") + name.encode()
        pattern = content.pattern
        if "nocase" in content.flags:
            data, pattern = data.lower(), pattern.lower()
        if "depth" in content.ints:
            data = data[: content.ints["depth"]]
        if "endswith" in content.flags:
            return data.endswith(pattern)
        return pattern in data


def _unescape(raw: str, what: str) -> str:
    text = raw.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise RuleSyntaxError(f"{what} must be in double quotes: {raw!r}")
    out: list[str] = []
    chars = iter(text[1:-1])
    for char in chars:
        if char == '"':
            raise RuleSyntaxError(f"unescaped quote inside {what}: {raw!r}")
        if char == "\\":
            escaped = next(chars, "")
            if escaped not in ESCAPABLE:
                raise RuleSyntaxError(f"bad escape \\{escaped} in {what}: {raw!r}")
            out.append(escaped)
        else:
            out.append(char)
    return "".join(out)


def _content_bytes(text: str) -> bytes:
    parts = text.split("|")
    if len(parts) % 2 == 0:
        raise RuleSyntaxError(f"unbalanced | in content {text!r}")
    out = bytearray()
    for n, part in enumerate(parts):
        if n % 2 == 0:
            out += part.encode()
            continue
        digits = part.replace(" ", "")
        if not digits or len(digits) % 2 or not re.fullmatch(r"[0-9A-Fa-f]+", digits):
            raise RuleSyntaxError(f"bad hex section |{part}| in content")
        out += bytes.fromhex(digits)
    return bytes(out)


def split_options(body: str) -> list[tuple[str, str | None]]:
    """Split the text between a rule's parentheses into (keyword, value) pairs."""
    options: list[tuple[str, str | None]] = []
    pos = 0
    while pos < len(body):
        end = pos
        while end < len(body) and body[end] != ";":
            end += 2 if body[end] == "\\" else 1
        if end >= len(body):
            raise RuleSyntaxError(f"option not ended by ';': {body[pos:]!r}")
        name, colon, value = body[pos:end].strip().partition(":")
        if not re.fullmatch(r"[a-z_][a-z0-9_.]*", name.strip()):
            raise RuleSyntaxError(f"bad keyword {name!r}")
        options.append((name.strip(), value.strip() if colon else None))
        pos = end + 1
        while pos < len(body) and body[pos] == " ":
            pos += 1
    return options


def check_address(text: str) -> None:
    """Accept ``any``, variables, IPs and CIDR ranges, lists and negations, as Suricata does."""
    if text.startswith("!"):
        check_address(text[1:])
    elif text.startswith("["):
        if not text.endswith("]") or not text[1:-1].strip():
            raise RuleSyntaxError(f"bad address list {text!r}")
        for item in text[1:-1].split(","):
            check_address(item.strip())
    elif text != "any" and not _VARIABLE.fullmatch(text):
        try:
            ipaddress.ip_network(text, strict=False)
        except ValueError as e:
            raise RuleSyntaxError(f"bad address {text!r}") from e


def check_port(text: str) -> None:
    if text == "any" or _VARIABLE.fullmatch(text) or re.fullmatch(r"!?\d{1,5}(:\d{0,5})?", text):
        return
    raise RuleSyntaxError(f"bad port {text!r}")


@dataclass
class _State:
    protocol: str
    buffer: str | None = None
    dotprefix: bool = False
    contents: list[Content] = field(default_factory=list)


def _payload(state: _State, name: str, value: str | None) -> None:
    if name in STICKY_BUFFERS:
        if STICKY_BUFFERS[name] != state.protocol:
            raise RuleSyntaxError(f"{name} cannot be used in a {state.protocol} rule")
        state.buffer, state.dotprefix = name, False
    elif name in TRANSFORMS:
        if state.buffer is None or (state.contents and state.contents[-1].buffer == state.buffer):
            raise RuleSyntaxError(f"{name} must follow its sticky buffer, before the content")
        state.dotprefix = True
    elif name == "content":
        pattern = _content_bytes(_unescape(value or "", "content"))
        if state.buffer == "http.host" and pattern != pattern.lower():
            raise RuleSyntaxError("http.host content must be lower case")
        state.contents.append(Content(pattern, state.buffer, state.dotprefix))
    else:
        _modifier(state, name, value)


def _modifier(state: _State, name: str, value: str | None) -> None:
    if not state.contents:
        raise RuleSyntaxError(f"{name} must follow a content")
    content = state.contents[-1]
    if name in FLAG_MODIFIERS:
        if value is not None:
            raise RuleSyntaxError(f"{name} takes no value")
        if name == "nocase" and content.buffer == "http.host":
            raise RuleSyntaxError("nocase is not allowed on http.host")
        content.flags.add(name)
    elif value is None or not value.isdigit():
        raise RuleSyntaxError(f"{name} needs a whole number")
    else:
        content.ints[name] = int(value)


def _meta(name: str, value: str | None) -> None:
    if value is None:
        raise RuleSyntaxError(f"{name} needs a value")
    if name in {"sid", "rev"} and not (value.isdigit() and int(value) > 0):
        raise RuleSyntaxError(f"{name} must be a positive whole number, not {value!r}")
    if name == "classtype" and value not in CLASSTYPES:
        raise RuleSyntaxError(f"unknown classtype {value!r}")
    if name == "reference":
        kind, comma, ref = value.partition(",")
        if kind.strip() not in REFERENCE_TYPES or not comma or not ref.strip():
            raise RuleSyntaxError(f"bad reference {value!r}")
    if name == "metadata" and not all(
        _METADATA_ITEM.fullmatch(item.strip()) for item in value.split(",")
    ):
        raise RuleSyntaxError(f"bad metadata {value!r}")
    if name == "flow" and not set(value.replace(" ", "").split(",")) <= FLOW_WORDS:
        raise RuleSyntaxError(f"bad flow {value!r}")


def _header(text: str) -> tuple[str, str, str]:
    words = text.split()
    if len(words) != 7:
        raise RuleSyntaxError(f"the header needs 7 parts, not {len(words)}: {text!r}")
    action, protocol, src, sport, direction, dst, dport = words
    if action not in ACTIONS or protocol not in PROTOCOLS or direction not in {"->", "<>"}:
        raise RuleSyntaxError(f"bad action, protocol or direction in {text!r}")
    for address in (src, dst):
        check_address(address)
    for port in (sport, dport):
        check_port(port)
    return action, protocol, dst


def parse_rule(line: str) -> Rule:
    """Check one rule and return what it says; raise RuleSyntaxError if Suricata would refuse it."""
    head, paren, rest = line.partition("(")
    if not paren or not rest.endswith(")"):
        raise RuleSyntaxError(f"options must be in parentheses: {line!r}")
    action, protocol, destination = _header(head)
    options = split_options(rest[:-1])
    state = _State(protocol)
    for name, value in options:
        if name not in KNOWN:
            raise RuleSyntaxError(f"unknown keyword {name!r}")
        if name in META:
            _meta(name, value)
        else:
            _payload(state, name, value)
    names = [name for name, _ in options]
    for required in ("msg", "sid", "rev"):
        if names.count(required) != 1:
            raise RuleSyntaxError(f"a rule needs exactly one {required}")
    values = dict(options)
    return Rule(
        action,
        protocol,
        destination,
        options,
        state.contents,
        _unescape(values["msg"] or "", "msg"),
        int(values["sid"] or 0),
        int(values["rev"] or 0),
    )


def parse_rules(text: str) -> list[Rule]:
    """Check every rule of a rules file (comments and blank lines skipped), SIDs unique."""
    rules = [parse_rule(line) for line in text.splitlines() if line and not line.startswith("#")]
    sids = [rule.sid for rule in rules]
    if len(set(sids)) != len(sids):
        raise RuleSyntaxError("two rules share a sid")
    return rules
