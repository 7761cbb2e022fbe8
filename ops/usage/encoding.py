"""Reading a CSV export's bytes as text: UTF-8 (with or without BOM), else GB18030 (Excel in China).

Pure: no Flask, no database.
"""

from __future__ import annotations

import codecs
import io

from ops.errors import ServiceError


class UsageDecodeError(ServiceError):
    """The bytes are not text in a supported encoding; the message (Chinese) says what to do."""


def decode_csv(data: bytes) -> str:
    """Bytes of a CSV export as text: UTF-8 (with or without BOM), else GB18030 (Excel in China).

    Raises UsageDecodeError when the file is empty or neither encoding reads it.
    """
    if not data or not data.strip():
        raise UsageDecodeError("文件是空的")
    if b"\x00" in data:
        raise UsageDecodeError(
            "无法识别的文件编码：请在 Excel 中“另存为 CSV（UTF-8）”或 CSV（逗号分隔）后再上传"
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UsageDecodeError(MSG_ENCODING)


MSG_ENCODING = "无法识别的文件编码：请保存为 UTF-8 或 GB18030（GBK）编码的 CSV 文件"
MSG_ENCODING_LATER = "这一行的文字编码与文件开头不一致：请把整个文件保存为 UTF-8 或 GB18030（GBK）编码"
MSG_BINARY = "无法识别的文件编码：请在 Excel 中“另存为 CSV（UTF-8）”或 CSV（逗号分隔）后再上传"
DETECT_BYTES = 1024 * 1024  # how much non-ASCII text decides the encoding
_CHUNK = 64 * 1024


def detect_encoding(binary) -> str:
    """The encoding of a CSV export in a seekable binary file, read from its beginning in chunks:
    ``utf-8-sig`` when the first megabyte of text after the first non-ASCII byte is UTF-8, else
    ``gb18030``. The file position is restored. Raises UsageDecodeError for an empty or blank file
    and for binary data (NUL bytes)."""
    start = binary.tell()
    decoder = codecs.getincrementaldecoder("utf-8")()
    blank, utf8, non_ascii_seen = True, True, 0
    try:
        while True:
            chunk = binary.read(_CHUNK)
            if not chunk:
                if utf8:
                    try:
                        decoder.decode(b"", final=True)
                    except UnicodeDecodeError:
                        utf8 = False
                break
            if b"\x00" in chunk:
                raise UsageDecodeError(MSG_BINARY)
            blank = blank and not chunk.strip()
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            if non_ascii_seen or not chunk.isascii():
                non_ascii_seen += len(chunk)
            if (not utf8 or non_ascii_seen >= DETECT_BYTES) and not blank:
                break
    finally:
        binary.seek(start)
    if blank:
        raise UsageDecodeError("文件是空的")
    return "utf-8-sig" if utf8 else "gb18030"


class _NulCheckingReader(io.RawIOBase):
    """A binary file that refuses NUL bytes as it is read (a spreadsheet saved in a binary format)."""

    def __init__(self, binary):
        self.binary = binary

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.binary.read(len(buffer))
        if b"\x00" in data:
            raise UnicodeDecodeError("csv", data, data.index(b"\x00"), data.index(b"\x00") + 1, "NUL byte")
        buffer[: len(data)] = data
        return len(data)


def open_csv_text(binary) -> io.TextIOWrapper:
    """A seekable binary file (an upload's spooled file, an open file) as text lines for
    ``iter_usage_csv``: the encoding detected from its beginning, read in chunks, never whole.
    Raises UsageDecodeError (see ``detect_encoding``)."""
    encoding = detect_encoding(binary)
    return io.TextIOWrapper(
        io.BufferedReader(_NulCheckingReader(binary), _CHUNK), encoding=encoding, newline="", errors="strict"
    )
