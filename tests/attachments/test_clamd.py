"""The real ClamAV daemon through the scanner interface, on a signature file
this test writes (the official databases cannot be downloaded here): the EICAR
test string is found, a clean file passes, a daemon that is not there refuses
the upload. Skipped with the reason when clamd is absent; required in CI
(REQUIRE_SERVICES=1)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from attachments.models import Attachment
from attachments.scanning import EICAR, ClamdScanner, ScannerUnavailable
from conversations.models import Message
from tests.attachments.conftest import PDF, browser_for, nothing_stored, upload
from tests.conftest import need

CLAMD = shutil.which("clamd") or ("/usr/sbin/clamd" if os.path.exists("/usr/sbin/clamd") else "")


@pytest.fixture(scope="module")
def clamd_socket():
    need(bool(CLAMD), "needs ClamAV's clamd (Debian: apt-get install clamav-daemon)")
    # A short path: unix socket paths are limited to about 100 bytes.
    workdir = Path(tempfile.mkdtemp(prefix="clamd-"))
    database = workdir / "db"
    database.mkdir()
    # An extended (.ndb) signature: the EICAR string anywhere in any file.
    (database / "eicar.ndb").write_text(f"Eicar-Test-Signature:0:*:{EICAR.hex()}\n")
    sock = workdir / "clamd.sock"
    config = workdir / "clamd.conf"
    config.write_text(
        f"LocalSocket {sock}\n"
        f"DatabaseDirectory {database}\n"
        f"PidFile {workdir / 'clamd.pid'}\n"
        f"LogFile {workdir / 'clamd.log'}\n"
        "Foreground yes\n"
        "StreamMaxLength 20M\n"
    )
    process = subprocess.Popen(
        [CLAMD, "--config-file", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not sock.exists():
            if process.poll() is not None:
                log = (
                    (workdir / "clamd.log").read_text() if (workdir / "clamd.log").exists() else ""
                )
                pytest.fail(f"clamd did not start: {process.stderr.read()!r} {log}")  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                pytest.fail("clamd did not open its socket within 60 s")
            time.sleep(0.1)
        yield str(sock)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(workdir, ignore_errors=True)


def test_clamd_finds_the_eicar_string_and_passes_a_clean_file(clamd_socket):
    scanner = ClamdScanner(socket_path=clamd_socket, timeout=10)
    infected = scanner.scan(b"some words before " + EICAR + b" and after")
    assert not infected.clean
    assert "Eicar-Test-Signature" in infected.signature
    assert scanner.scan(PDF).clean
    big = PDF + b"%" * (3 * 1024 * 1024)  # several INSTREAM chunks
    assert scanner.scan(big).clean


def test_a_clamd_that_is_not_there_is_unavailable(tmp_path):
    with pytest.raises(ScannerUnavailable):
        ClamdScanner(socket_path=str(tmp_path / "missing.sock"), timeout=2).scan(PDF)


@pytest.mark.django_db
def test_the_eicar_upload_is_refused_through_clamd_and_both_parties_are_told(
    clamd_socket, identified, settings
):
    settings.ATTACHMENT_SCANNER = "clamd"
    settings.CLAMD_SOCKET = clamd_socket
    settings.CLAMD_HOST = ""
    client = browser_for(identified)
    response = upload(client, EICAR, "eicar.txt", "text/plain")
    assert response.status_code == 422
    assert json.loads(response.content)["error"]["code"] == "infected"
    assert nothing_stored(settings)
    assert list(Message.objects.values_list("author_kind", flat=True)) == ["system"]

    clean = upload(client, PDF, "lab.pdf", "application/pdf")
    assert clean.status_code == 201, clean.content
    assert Attachment.objects.get().state == "clean"


@pytest.mark.django_db
def test_uploads_fail_closed_when_clamd_is_down(identified, settings, tmp_path):
    settings.ATTACHMENT_SCANNER = "clamd"
    settings.CLAMD_SOCKET = str(tmp_path / "missing.sock")
    settings.CLAMD_HOST = ""
    response = upload(browser_for(identified), PDF, "lab.pdf", "application/pdf")
    assert response.status_code == 503
    assert json.loads(response.content)["error"]["code"] == "scan_unavailable"
    assert nothing_stored(settings)
