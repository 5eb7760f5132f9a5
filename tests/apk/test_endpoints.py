"""Endpoints in dex strings: what an advocate would read as "this app talks to ..." must be real.

The negative cases are strings that fill real Android apps' string tables (framework and
library class names, intent actions, property keys, resource and file names, versions, OIDs).
"""

from __future__ import annotations

import pytest

from unstalk.apk.endpoints import Endpoints, find_endpoints, is_private, tlds

NOT_ENDPOINTS = [
    "com.google.android.gms",
    "com.google.android.gms.ads.identifier.service.START",
    "com.android.vending",
    "com.android.camera",
    "com.android.email",
    "com.google.android.youtube",
    "com.android.chrome",
    "android.app",
    "android.net",
    "android.media",
    "android.support",
    "android.intent.action.BOOT_COMPLETED",
    "android.permission.READ_SMS",
    "androidx.core.app",
    "java.net",
    "java.io",
    "java.security",
    "javax.net.ssl",
    "kotlin.io",
    "io.flutter.app",
    "org.telegram.messenger",
    "jp.naver.line.android",
    "ru.mail.cloud",
    "ru.yandex.money",
    "cn.jpush.android",
    "tv.twitch.android.app",
    "Lcom/google/android/gms/common/api/Api;",
    "Theme.AppCompat.Light",
    "R.string.app_name",
    "user.name",
    "user.home",
    "user.id",
    "os.name",
    "android.id",
    "timeout.ms",
    "sort.by",
    "save.as",
    "this.is.it",
    "vnd.android.cursor.item/vnd.com.app",
    "vnd.google-apps.site",
    "index.html",
    "config.json",
    "libfoo.so",
    "install.sh",
    "main.py",
    "readme.md",
    "build.properties",
    "archive.zip",
    "video.mov",
    "unames.icu",
    "classes.dex",
    "res/layout/activity_main.xml",
    "/sdcard/Android/data/files/backup.zip",
    "1.2.3.4",
    "4.1.2.0",
    "10.0.0.0",
    "version 185.22.33.44",
    "See RFC 7540 section 8.1.2.2",
    "2.5.29.37",
    "1.2.840.113549.1.1.11",
    "255.255.255.0",
    "0.0.0.0",
    "v1.2.3.4",
    "1.2.3.4.5",
    "12:30:45",
    "00:11:22:33:44:55",
    "::",
    "http://",
    "https://%s/api",
    "tcp://%s:%d",
    "http://javax.xml.XMLConstants/feature/secure-processing",
    "file:///sdcard/a.txt",
    "content://com.android.contacts/data",
    "e.g. this",
    "Mr.Smith",
    "x.y.Z",
    "evil.app",
    "spy.camera",
]


def test_strings_that_are_not_endpoints_yield_nothing() -> None:
    assert find_endpoints(NOT_ENDPOINTS) == Endpoints()


@pytest.mark.parametrize(
    ("string", "domains"),
    [
        ("snoopza.com", ["snoopza.com"]),
        ("Server changed to mspyonline.com", ["mspyonline.com"]),
        ("support@cerberusapp.com", ["cerberusapp.com"]),
        ("Visit www.example.com for help.", ["www.example.com"]),
        ("163.com", ["163.com"]),
        ("android.com", ["android.com"]),
        ("de.wikipedia.org", ["de.wikipedia.org"]),
        ("it.wikipedia.org", ["it.wikipedia.org"]),
        ("bit.ly", ["bit.ly"]),
        ("evil-c2.xyz", ["evil-c2.xyz"]),
        ("api.spy.online", ["api.spy.online"]),
        ("www.spy.app", ["www.spy.app"]),
        ("panel@tracker.app", ["tracker.app"]),
        ("upload.spy.camera:8443", ["upload.spy.camera"]),
        ("a.b.c.d.e.example.co.uk", ["a.b.c.d.e.example.co.uk"]),
    ],
)
def test_bare_domains_are_found(string: str, domains: list[str]) -> None:
    assert list(find_endpoints([string]).domains) == domains


@pytest.mark.parametrize(
    ("string", "url", "domain"),
    [
        ("https://api.evil.com/upload?x=1", "https://api.evil.com/upload?x=1", "api.evil.com"),
        ("(see https://evil.com/a).", "https://evil.com/a", "evil.com"),
        (
            "https://en.wikipedia.org/wiki/A_(b)",
            "https://en.wikipedia.org/wiki/A_(b)",
            "en.wikipedia.org",
        ),
        ("http://%s.firebaseio.com/x", "http://%s.firebaseio.com/x", "firebaseio.com"),
        ("HTTPS://WWW.Evil.COM/Path", "HTTPS://WWW.Evil.COM/Path", "www.evil.com"),
        ("http://user:pw@host.evil.ru:8080/", "http://user:pw@host.evil.ru:8080/", "host.evil.ru"),
        ('{"u":"http:\\/\\/json.evil.com\\/p"}', "http://json.evil.com/p", "json.evil.com"),
        ("wss://push.spy.app/socket", "wss://push.spy.app/socket", "push.spy.app"),
        ("mqtt://broker.hivemq.com:1883", "mqtt://broker.hivemq.com:1883", "broker.hivemq.com"),
        ("rtmp://live.example.tv/app", "rtmp://live.example.tv/app", "live.example.tv"),
        ("ftp://files.example.net/a", "ftp://files.example.net/a", "files.example.net"),
        ("http://localhost:8080/", "http://localhost:8080/", None),
        ("tcp://localhost:9000", None, None),
        ("http://bücher.de/x", "http://bücher.de/x", "xn--bcher-kva.de"),
        ("http://printer.local/x", None, None),
        ("http://metadata.google.internal/", None, None),
    ],
)
def test_urls_are_found_with_their_host(string: str, url: str | None, domain: str | None) -> None:
    found = find_endpoints([string])
    assert found.urls == ((url,) if url else ())
    assert found.domains == ((domain,) if domain else ())


def test_idn_hosts_are_reported_as_punycode() -> None:
    found = find_endpoints(["https://пример.рф/путь"])
    assert found.domains == ("xn--e1afmkfd.xn--p1ai",)


@pytest.mark.parametrize(
    ("string", "ips"),
    [
        ("185.22.33.44", ["185.22.33.44"]),
        ("185.22.33.44:8080", ["185.22.33.44"]),
        ("1.2.3.4:80", ["1.2.3.4"]),
        ("Connecting to server 10.0.0.5", ["10.0.0.5"]),
        ("dns 8.8.8.8", ["8.8.8.8"]),
        ("http://192.168.1.10/upload", ["192.168.1.10"]),
        ("http://[2001:db8::1]:8080/x", ["2001:db8::1"]),
        ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", ["2001:db8:85a3::8a2e:370:7334"]),
    ],
)
def test_ip_addresses_are_found(string: str, ips: list[str]) -> None:
    assert list(find_endpoints([string]).ips) == ips


def test_private_addresses_are_kept_and_marked() -> None:
    found = find_endpoints(["http://10.0.2.2:8080/", "185.22.33.44", "http://127.0.0.1/"])
    assert found.ips == ("10.0.2.2", "127.0.0.1", "185.22.33.44")
    assert found.private_ips == ("10.0.2.2", "127.0.0.1")
    assert found.public_ips == ("185.22.33.44",)
    assert is_private("192.0.2.1") and not is_private("8.8.8.8")


def test_results_are_deduplicated_and_sorted() -> None:
    found = find_endpoints(
        ["b.example.com", "https://a.example.com/", "b.example.com", "9.9.9.9:53"]
    )
    assert found.domains == ("a.example.com", "b.example.com")
    assert found.ips == ("9.9.9.9",)


def test_many_strings_at_once() -> None:
    strings = [f"com.example.app.Class{i}" for i in range(20000)] + ["https://c2.evil.com/x"]
    assert find_endpoints(strings).domains == ("c2.evil.com",)


def test_the_tld_list_is_the_root_zone() -> None:
    names = tlds()
    assert {"com", "org", "io", "app", "xn--p1ai", "рф", "онлайн"} <= names
    assert not {"if", "local", "localhost", "example", "dex", "html", "json"} & names
    assert len(names) > 1400
