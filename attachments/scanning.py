"""Malware scanning behind one interface, chosen by ATTACHMENT_SCANNER.

- `clamd`: ClamAV's daemon (Debian's clamav-daemon) over its unix socket or
  TCP, with the INSTREAM command: the bytes are streamed, clamd never reads our
  files. Required in production (chatservice/settings.py refuses anything else).
- `standin`: development only (`make run`, where no signature database can be
  downloaded): finds the EICAR test string and nothing else.
A test double is any importable class with the same `scan` (a dotted path).

A scanner that cannot answer raises ScannerUnavailable: the upload is then
refused (fail closed), never passed unscanned.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

SCANNERS = {
    "clamd": "attachments.scanning.ClamdScanner",
    "standin": "attachments.scanning.StandinScanner",
}

# The EICAR anti-virus test file (a harmless string every scanner reports).
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    # What the scanner found (e.g. "Eicar-Test-Signature"); empty when clean.
    signature: str = ""


class ScannerUnavailable(Exception):
    """The scanner could not give an answer (down, timed out, said ERROR)."""


class Scanner(Protocol):
    def scan(self, data: bytes) -> ScanResult: ...


class ClamdScanner:
    """clamd's INSTREAM: `zINSTREAM\\0`, then chunks each prefixed with their
    length (4 bytes, network order), then a zero length; the answer is
    `stream: OK`, `stream: <signature> FOUND` or `… ERROR`."""

    CHUNK = 64 * 1024

    def __init__(
        self,
        *,
        socket_path: str | None = None,
        host: str | None = None,
        port: int | None = None,
        timeout: float | None = None,
    ):
        self.socket_path = socket_path if socket_path is not None else settings.CLAMD_SOCKET
        self.host = host if host is not None else settings.CLAMD_HOST
        self.port = port if port is not None else settings.CLAMD_PORT
        self.timeout = timeout if timeout is not None else settings.CLAMD_TIMEOUT_SECONDS

    def _connect(self) -> socket.socket:
        if self.host:
            return socket.create_connection((self.host, self.port), timeout=self.timeout)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        return sock

    def scan(self, data: bytes) -> ScanResult:
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                for start in range(0, len(data), self.CHUNK):
                    chunk = data[start : start + self.CHUNK]
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
                reply = b""
                while not reply.endswith(b"\0"):
                    part = sock.recv(4096)
                    if not part:
                        break
                    reply += part
        except OSError as exc:
            raise ScannerUnavailable(type(exc).__name__) from None
        return self.parse(reply.rstrip(b"\0").decode("utf-8", "replace"))

    @staticmethod
    def parse(reply: str) -> ScanResult:
        answer = reply.partition(": ")[2] if ": " in reply else reply
        if answer == "OK":
            return ScanResult(clean=True)
        if answer.endswith(" FOUND"):
            return ScanResult(clean=False, signature=answer[: -len(" FOUND")][:100])
        # "INSTREAM size limit exceeded. ERROR" and the like: no verdict.
        raise ScannerUnavailable("clamd gave no verdict")


class StandinScanner:
    """Development only: reports the EICAR test string, passes everything else."""

    def scan(self, data: bytes) -> ScanResult:
        if EICAR in data:
            return ScanResult(clean=False, signature="Eicar-Test-Signature")
        return ScanResult(clean=True)


def get_scanner() -> Scanner:
    name = settings.ATTACHMENT_SCANNER
    return import_string(SCANNERS.get(name, name))()
