"""A look at LMDB's data file before LMDB maps it, so damage is one clear line, not a signal.

LMDB maps `data.mdb` into memory and trusts it: touching a page past the end of a truncated
file raises SIGBUS and kills the process before Python can say anything, and a 0-byte file is
silently initialised as a new, empty store (every run "gone"). Both are decidable from the
file's size and LMDB's two meta pages (the first two pages of the file, each naming the last
page the store uses), read here with plain file I/O: no mapping, no subprocess.

Layout (LMDB 0.9, `mdb.c`): each meta page is a 16-byte page header, then `MDB_meta`:
magic u32 at 0, version u32 at 4, address at 8, map size at 16, two `MDB_db` records of 48
bytes at 24 (the first's leading u32 holds the page size), last page number at 120 and the
transaction id at 128. Of the two metas, the one with the higher transaction id is current.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

MAGIC = 0xBEEFC0DE
PAGE_HEADER = 16
META_SIZE = 136
PAGE_SIZE_AT = 24
LAST_PAGE_AT = 120
TXNID_AT = 128
DEFAULT_PAGE_SIZE = 4096


@dataclass(frozen=True)
class Meta:
    page_size: int
    last_page: int
    txnid: int

    @property
    def needed_bytes(self) -> int:
        """The file must hold every page up to and including the last one in use."""
        return (self.last_page + 1) * self.page_size


def _meta_at(data: bytes, offset: int, byteorder: str) -> Meta | None:
    raw = data[offset + PAGE_HEADER : offset + PAGE_HEADER + META_SIZE]
    if len(raw) < META_SIZE:
        return None
    (magic,) = struct.unpack_from(f"{byteorder}I", raw, 0)
    if magic != MAGIC:
        return None
    (page_size,) = struct.unpack_from(f"{byteorder}I", raw, PAGE_SIZE_AT)
    last_page, txnid = struct.unpack_from(f"{byteorder}QQ", raw, LAST_PAGE_AT)
    return Meta(page_size=page_size, last_page=last_page, txnid=txnid)


def read_meta(data: bytes) -> Meta | None:
    """The current meta of a data file's first bytes (two pages), or None if neither is valid."""
    for order in ("<", ">"):
        first = _meta_at(data, 0, order)
        page_size = first.page_size if first and first.page_size >= 512 else DEFAULT_PAGE_SIZE
        second = _meta_at(data, page_size, order)
        metas = [m for m in (first, second) if m is not None]
        if metas:
            return max(metas, key=lambda m: m.txnid)
    return None


def check_data_file(store_dir: Path) -> str | None:
    """Why the store's `data.mdb` cannot be opened safely, or None (also when it is absent).

    A missing file is a new store; an empty, headless or shorter-than-its-meta file is damage.
    """
    path = store_dir / "data.mdb"
    try:
        if not path.is_file():
            return f"{path} is not a regular file" if path.exists() else None
        with path.open("rb") as f:
            head = f.read(2 * 65536)  # two pages of the largest page size LMDB uses
        # Measured after the header: another process may commit meanwhile, and LMDB's file
        # only grows, so this size is at least what the header read says it needs.
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror}"
    if size == 0:
        return (
            f"{path} is empty (0 bytes): the store is damaged; restore it from a backup, "
            "or move the directory away to start a new store"
        )
    meta = read_meta(head)
    if meta is None:
        return f"{path} has no valid LMDB header: the store is damaged (or not a WriteIt store)"
    if size < meta.needed_bytes:
        return (
            f"{path} is truncated ({size} bytes; the store needs {meta.needed_bytes}): "
            "restore it from a backup"
        )
    return None
