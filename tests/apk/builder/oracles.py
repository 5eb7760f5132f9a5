"""Run the real Android tools (apksigner, aapt, dexdump) on built APKs and read their answers.

``apksigner`` starts a JVM per call (about a second); :func:`apksigner_verify` verifies a
whole batch in one JVM through apksigner's own entry point when Debian's jar is installed,
and falls back to one ``apksigner`` run per APK otherwise.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

APKSIGNER_JAR = Path("/usr/share/java/apksigner.jar")
APKSIG_JAR = Path("/usr/share/java/apksig.jar")
TIMEOUT_S = 120
_MARKER = "=== unstalk-apk "
_BATCH_SOURCE = """
public class VerifyBatch {
    public static void main(String[] args) {
        for (String path : args) {
            System.out.println("%s" + path);
            try {
                com.android.apksigner.ApkSignerTool.main(
                    new String[] {"verify", "-v", "--print-certs", path});
            } catch (Exception e) {
                System.out.println("ERROR: " + e);
            }
        }
    }
}
""".replace("%s", _MARKER)
_SCHEME = re.compile(r"^Verified using (v[0-9.]+) scheme .*: (true|false)$", re.MULTILINE)
_CERT = re.compile(r"^Signer #\d+ certificate (SHA-256|SHA-1) digest: ([0-9a-f]+)$", re.MULTILINE)


@dataclass(frozen=True)
class VerifyResult:
    """What ``apksigner verify -v --print-certs`` said about one APK."""

    text: str
    verifies: bool
    schemes: frozenset[str]
    """Schemes apksigner verified (``v1``, ``v2``, ``v3`` ...)."""
    cert_sha256: tuple[str, ...] = field(default=())
    """Signer certificate digests, upper-case hex."""
    cert_sha1: tuple[str, ...] = field(default=())


def have_apksigner() -> bool:
    return shutil.which("apksigner") is not None


def parse_verify(text: str) -> VerifyResult:
    certs = _CERT.findall(text)
    return VerifyResult(
        text=text,
        verifies=text.lstrip().startswith("Verifies") and "ERROR" not in text,
        schemes=frozenset(s for s, ok in _SCHEME.findall(text) if ok == "true"),
        cert_sha256=tuple(d.upper() for kind, d in certs if kind == "SHA-256"),
        cert_sha1=tuple(d.upper() for kind, d in certs if kind == "SHA-1"),
    )


def _run(command: Sequence[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    return done.stdout + done.stderr


def _verify_batch(paths: Sequence[Path]) -> dict[Path, VerifyResult] | None:
    """One JVM for every path; None when Java cannot launch the source (a JRE, no compiler)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "VerifyBatch.java"
        source.write_text(_BATCH_SOURCE, encoding="utf-8")
        classpath = f"{APKSIGNER_JAR}:{APKSIG_JAR}"
        # C1-only JIT and the serial collector: a short batch starts about a second sooner.
        jvm = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classpath]
        output = _run([*jvm, str(source), *map(str, paths)])
    if _MARKER not in output:
        return None
    results: dict[Path, VerifyResult] = {}
    by_name = {str(p): p for p in paths}
    for block in output.split(_MARKER)[1:]:
        name, _, text = block.partition("\n")
        results[by_name[name]] = parse_verify(text)
    # A path apksigner never reached (it exited early) reports the whole output.
    return {p: results.get(p, parse_verify("ERROR: not verified\n" + output)) for p in paths}


def apksigner_verify(paths: Sequence[Path]) -> dict[Path, VerifyResult]:
    """``apksigner verify -v --print-certs`` on every path (minSdk from each manifest)."""
    if shutil.which("java") and APKSIGNER_JAR.is_file():
        batch = _verify_batch(paths)
        if batch is not None:
            return batch
    return {
        p: parse_verify(_run(["apksigner", "verify", "-v", "--print-certs", str(p)])) for p in paths
    }


@dataclass(frozen=True)
class Badging:
    """The parts of ``aapt dump badging`` the builder tests compare."""

    text: str
    package: str
    version_code: int
    version_name: str
    label: str | None
    permissions: tuple[str, ...]
    launchable_activity: str | None
    min_sdk: int
    target_sdk: int


def _first(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1) if match else None


def aapt_badging(path: Path) -> Badging:
    """Run ``aapt dump badging`` on ``path``; AssertionError when aapt cannot read it."""
    text = _run(["aapt", "dump", "badging", str(path)])
    package = re.search(r"^package: name='([^']*)' versionCode='(\d+)' versionName='([^']*)'", text)
    if package is None:
        raise AssertionError(f"aapt could not read {path}:\n{text}")
    return Badging(
        text=text,
        package=package.group(1),
        version_code=int(package.group(2)),
        version_name=package.group(3),
        label=_first(r"^application-label:'([^']*)'", text),
        permissions=tuple(re.findall(r"^uses-permission: name='([^']*)'", text, re.MULTILINE)),
        launchable_activity=_first(r"^launchable-activity: name='([^']*)'", text),
        min_sdk=int(_first(r"^sdkVersion:'(\d+)'", text) or 1),
        target_sdk=int(_first(r"^targetSdkVersion:'(\d+)'", text) or 0),
    )


def aapt_xmltree(path: Path, entry: str) -> str:
    """``aapt dump xmltree``: the binary XML entry as aapt decodes it."""
    return _run(["aapt", "dump", "xmltree", str(path), entry])


def dexdump_check(dex: bytes) -> str:
    """Run ``dexdump`` (which verifies checksum and structure); return '' or its complaint."""
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "classes.dex"
        target.write_bytes(dex)
        done = subprocess.run(
            ["dexdump", "-f", str(target)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    return "" if done.returncode == 0 else done.stdout + done.stderr
