"""Hostile files for the upload guards' test and benchmark (issue 13 item 7), built in a second or two.

`zip_bomb`: a real XLSX-shaped zip bomb, ~1.5 MB that inflates to 1.5 GB of sheet XML. The deflate stream is one
compressed megabyte repeated (each piece ends with a full flush, so the pieces are identical and concatenate), and
the zip is written by hand: zipfile cannot take a precompressed stream, and compressing 1.5 GB takes 10-20 s.
`shared_strings_xlsx`: a small, genuine workbook with many distinct text cells (openpyxl holds them all in memory).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

MB = 1024 * 1024
CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    b'officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)


def _entry(name: bytes, data: bytes, method: int, crc: int, size: int, offset: int) -> tuple[bytes, bytes]:
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(name), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        method,
        0,
        0x21,
        crc,
        len(data),
        size,
        len(name),
        0,
        0,
        0,
        0,
        0,
        offset,
    )
    return local + name + data, central + name


def zip_bomb(path: Path, *, inflated_mb: int = 1536) -> Path:
    """Write an XLSX-shaped zip whose sheet inflates to `inflated_mb` MB (the default: ~1.5 MB on disk)."""
    chunk = b" " * MB  # whitespace between the sheet's elements: what inflates best (about 1,000 to 1)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    stream = piece * inflated_mb + b"\x03\x00"  # the pieces, then an empty final block
    crc = 0
    for _ in range(inflated_mb):
        crc = zlib.crc32(chunk, crc)
    blobs, centrals, offset = [], [], 0
    for name, data, method, checksum, size in (
        (b"[Content_Types].xml", CONTENT_TYPES, 0, zlib.crc32(CONTENT_TYPES), len(CONTENT_TYPES)),
        (b"xl/worksheets/sheet1.xml", stream, 8, crc, inflated_mb * MB),
    ):
        blob, central = _entry(name, data, method, checksum, size, offset)
        blobs.append(blob)
        centrals.append(central)
        offset += len(blob)
    directory = b"".join(centrals)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(centrals), len(centrals), len(directory), offset, 0)
    path.write_bytes(b"".join(blobs) + directory + end)
    return path


WORKBOOK_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
        'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
        'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
}


def shared_strings_xlsx(path: Path, *, strings: int) -> Path:
    """A genuine workbook with `strings` distinct SKUs under a balance header, its texts in xl/sharedStrings.xml
    as Excel saves them (openpyxl itself writes inline strings)."""
    texts = ["sku", "location", "on_hand", "WH1"] + [f"S{n}" for n in range(strings)]
    shared = "".join(f"<si><t>{t}</t></si>" for t in texts)
    rows = [
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
    ]
    for n in range(strings):
        r = n + 2
        rows.append(
            f'<row r="{r}"><c r="A{r}" t="s"><v>{n + 4}</v></c><c r="B{r}" t="s"><v>3</v></c>'
            f'<c r="C{r}"><v>1</v></c></row>'
        )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    parts = {
        **WORKBOOK_PARTS,
        "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{main}" count="{len(texts)}" '
        f'uniqueCount="{len(texts)}">{shared}</sst>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{main}"><sheetData>'
        + "".join(rows)
        + "</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path
