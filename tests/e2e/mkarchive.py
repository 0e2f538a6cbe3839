#!/usr/bin/env python3
"""mkarchive.py KIND [ARG] - write a report mail carrying an archive or a
CSV feed to standard output, made from text at run time (no binary blob
is kept in the tree).  Used by t206-archives.sh and bench/archive.sh.

Kinds: zip-feed, targz, gz, bz2, xz, zst, tarxz, nested,
bomb [MIB], many, traversal, encrypted PASSWORD, two, truncated, csv-edge NAME, cr-only,
feed-plain MB, feed-zip MB.
"""
import base64
import bz2
import gzip
import io
import lzma
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib

DATE = "Tue, 01 Dec 2026 10:00:00 +0900"


def mail(parts, subject="report"):
    """A multipart/mixed mail of (content_type, filename, bytes) parts."""
    out = io.BytesIO()
    out.write(("From: feed@example.net\nTo: info@localhost\n"
               f"Subject: {subject}\nDate: {DATE}\n"
               f"Message-ID: <{subject.replace(' ', '-')}-{os.getpid()}"
               "@example.net>\nMIME-Version: 1.0\n"
               "Content-Type: multipart/mixed; boundary=\"BOUNDARY\"\n\n"
               "--BOUNDARY\nContent-Type: text/plain\n\nAttached.\n")
              .encode())
    for ctype, name, data in parts:
        out.write(f"--BOUNDARY\nContent-Type: {ctype}; name=\"{name}\"\n"
                  f"Content-Disposition: attachment; filename=\"{name}\"\n"
                  "Content-Transfer-Encoding: base64\n\n".encode())
        out.write(base64.encodebytes(data))
    out.write(b"--BOUNDARY--\n")
    return out.getvalue()


def log(address):
    return (f"Dec  1 01:02:03 gw sshd[42]: Failed password for root from "
            f"{address} port 51234 ssh2\n").encode()


def zip_of(members, compression=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, (2026, 12, 1, 0, 0, 0)), data,
                       compress_type=compression)
    return buf.getvalue()


def tar_of(members, mode):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def feed_csv(rows, start=1):
    lines = ["timestamp,ip,protocol,port,hostname,tag,asn\n"]
    for i in range(start, start + rows):
        lines.append(f'"2026-12-01 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:'
                     f'{i % 60:02d}",10.{i >> 16 & 255}.{i >> 8 & 255}.'
                     f'{i & 255},tcp,22,host{i}.example.net,ssh,64500\n')
    return "".join(lines).encode()


def bomb(mib_count=1024):
    """A zip of one member of mib_count MiB of zeros, deflated: each MiB
    is compressed once and repeated (a full flush makes the blocks
    alike)."""
    mib = bytes(1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(mib) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.flush(zlib.Z_FINISH)
    count = mib_count
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(mib, crc)
    data = block * count + tail
    size = count << 20
    name = b"zeros.txt"
    local = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 8, 0, 0x5a21,
                        crc, len(data), size & 0xffffffff, len(name), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 20, 20, 0, 8, 0,
                          0x5a21, crc, len(data), size & 0xffffffff,
                          len(name), 0, 0, 0, 0, 0, 0)
    cd_at = len(local) + len(name) + len(data)
    end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1,
                      len(central) + len(name), cd_at, 0)
    return local + name + data + central + name + end


def encrypted(password):
    if shutil.which("zip") is None:
        sys.exit(77)
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "auth.log"), "wb") as f:
            f.write(log("198.51.100.30"))
        subprocess.run(["zip", "-q", "-P", password, "sample.zip",
                        "auth.log"], cwd=d, check=True)
        with open(os.path.join(d, "sample.zip"), "rb") as f:
            return f.read()


def zstd(data):
    if shutil.which("zstd") is None:
        sys.exit(77)
    return subprocess.run(["zstd", "-q", "-c"], input=data,
                          stdout=subprocess.PIPE, check=True).stdout


CSV_EDGE = {
    # a BOM, a quoted field with a comma and a newline, "" inside quotes
    "bom-quoted.csv": ("\ufefftimestamp,ip,note,port\n"
                       '2026-12-01T01:00:00Z,192.0.2.61,"a, b\nsecond ""line""",'
                       "443\n"
                       "2026-12-01T02:00:00+09:00,192.0.2.62,plain,80\n"),
    # ';' separated, a UTC column name, Unix seconds
    "semicolon.csv": ("source_ip;timestamp_utc;type\n"
                      "192.0.2.71;2026-12-01 03:00:00;sinkhole-drone\n"
                      "192.0.2.72;1796094000;sinkhole-drone\n"),
    # tab separated, no zone: the report's zone, said so
    "tabs.tsv": ("src_ip\tfirst_seen\tasn\n"
                 "2001:db8::81\t2026-12-01 04:00:00\t64501\n"),
}


def main():
    kind = sys.argv[1]
    arg = sys.argv[2] if len(sys.argv) > 2 else None
    z = "application/zip"
    o = "application/octet-stream"
    if kind == "zip-feed":
        parts = [(z, "scan_ssh-2026-12-01.csv.zip",
                  zip_of([("scan_ssh-2026-12-01.csv", feed_csv(3))]))]
    elif kind == "targz":
        parts = [("application/gzip", "logs.tar.gz",
                  tar_of([("var/log/auth.log", log("198.51.100.10"))],
                         "w:gz"))]
    elif kind == "gz":
        parts = [(o, "auth.log.gz", gzip.compress(log("198.51.100.11")))]
    elif kind == "bz2":
        parts = [(o, "auth.log.bz2", bz2.compress(log("198.51.100.12")))]
    elif kind == "xz":
        parts = [(o, "auth.log.xz", lzma.compress(log("198.51.100.13")))]
    elif kind == "zst":
        parts = [(o, "auth.log.zst", zstd(log("198.51.100.14")))]
    elif kind == "tarxz":
        parts = [(o, "logs.tar.xz",
                  tar_of([("auth.log", log("198.51.100.15"))], "w:xz"))]
    elif kind == "nested":
        inner = zip_of([("deep/auth.log", log("198.51.100.20"))])
        middle = tar_of([("inner.zip", inner)], "w:gz")
        parts = [(z, "outer.zip", zip_of([("middle.tar.gz", middle)]))]
    elif kind == "bomb":
        parts = [(z, "report.zip", bomb(int(arg or 1024)))]
    elif kind == "many":
        parts = [(z, "many.zip",
                  zip_of([(f"m{i:05d}.txt", b"x\n") for i in range(10000)]
                         + [("last.log", log("198.51.100.40"))],
                         zipfile.ZIP_STORED))]
    elif kind == "traversal":
        parts = [(z, "evil.zip",
                  zip_of([("../../../../tmp/madoguchi-pwned.txt",
                           log("198.51.100.50")),
                          ("/etc/madoguchi-pwned", b"\x7fELF\x02\x01\x01"),
                          ("a" * 5000 + ".log", b"long\n"),
                          ("ctl\x1b[31m.log", b"ctl\n")]))]
    elif kind == "encrypted":
        parts = [(z, "sample.zip", encrypted(arg))]
    elif kind == "two":
        # 9 MiB that do not compress, then a small archive: the ratio is
        # of all the message's archives, not of the last one alone
        parts = [(z, "big.zip", zip_of([("noise.bin", os.urandom(9 << 20))],
                                        zipfile.ZIP_STORED)),
                 (z, "small.zip", zip_of([("a.log", log("198.51.100.70"))]))]
    elif kind == "truncated":
        whole = zip_of([("a.log", log("198.51.100.60")),
                        ("b.log", os.urandom(200000))],
                       zipfile.ZIP_STORED)
        parts = [(z, "cut.zip", whole[:len(whole) // 2])]
    elif kind == "csv-edge":
        text = CSV_EDGE[arg].encode()
        parts = [("text/csv", arg, text),
                 (z, arg + ".zip", zip_of([(arg, text)]))][:1]
    elif kind == "cr-only":
        sys.stdout.buffer.write(
            ("From: old@example.net\rTo: info@localhost\rSubject: mac\r"
             f"Date: {DATE}\rMessage-ID: <mac@example.net>\r\r"
             "Seen from 192.0.2.90 at 01:00.\rAnd 192.0.2.91.\r")
            .encode())
        return
    elif kind in ("feed-plain", "feed-zip"):
        text = feed_csv(int(float(arg) * 1024 * 1024 / 75))
        parts = ([("text/csv", "scan_ssh-2026-12-01.csv", text)]
                 if kind == "feed-plain" else
                 [(z, "scan_ssh-2026-12-01.csv.zip",
                   zip_of([("scan_ssh-2026-12-01.csv", text)]))])
    else:
        sys.exit(f"mkarchive.py: unknown kind {kind}")
    sys.stdout.buffer.write(mail(parts, kind))


main()
