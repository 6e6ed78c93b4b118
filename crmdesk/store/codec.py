"""How record JSON is kept on disk: compact JSON, deflated against a per-entity dictionary.

API records are wide (a deal from a list page is ~1.7 kB of JSON, most of it key names and
nulls); deflating each one against a dictionary made of typical records of the same entity
cuts that to ~250 bytes, which is what keeps a million deals under the disk budget. A blob
starts with a one-byte format tag so older plain-JSON blobs stay readable.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from typing import Any

_PLAIN = 0x7B  # "{" - an uncompressed JSON object
_DEFLATED = 0x01  # tag byte, then one byte dictionary id, then raw deflate data
_WBITS = -12  # raw deflate, 4 kB window: setup cost matters more than ratio at ~2 kB
_LEVEL = 3
_DICT_SAMPLES = 2


def dumps(value: Any) -> str:
    """Compact JSON text."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class JsonCodec:
    """Encodes/decodes record JSON blobs for one connection (dictionaries cached)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._by_entity: dict[str, tuple[int, bytes]] = {}
        self._by_id: dict[int, bytes] = {}

    def _load(self) -> None:
        for dict_id, entity, data in self._conn.execute("SELECT id, entity, data FROM zdicts"):
            self._by_id[dict_id] = data
            self._by_entity[entity] = (dict_id, data)

    def _dictionary(self, entity: str, sample: list[bytes]) -> tuple[int, bytes] | None:
        if entity not in self._by_entity:
            self._load()
        found = self._by_entity.get(entity)
        if found is not None or not sample:
            return found
        # The first records stored for an entity become its dictionary, for good.
        data = b"".join(sample[:_DICT_SAMPLES])[-3000:]
        cur = self._conn.execute("INSERT INTO zdicts(entity, data) VALUES (?, ?)", (entity, data))
        dict_id = int(cur.lastrowid or 0)
        if dict_id > 255:
            return None
        self._by_entity[entity] = (dict_id, data)
        self._by_id[dict_id] = data
        return dict_id, data

    def encode_many(self, entity: str, values: list[Any]) -> list[bytes]:
        """Blobs for ``values`` (JSON objects) of ``entity``."""
        texts = [dumps(v).encode() for v in values]
        found = self._dictionary(entity, texts)
        if found is None:
            return texts
        dict_id, zdict = found
        head = bytes((_DEFLATED, dict_id))
        out = []
        for text in texts:
            packer = zlib.compressobj(
                _LEVEL, zlib.DEFLATED, _WBITS, 8, zlib.Z_DEFAULT_STRATEGY, zdict
            )
            out.append(head + packer.compress(text) + packer.flush())
        return out

    def encode(self, entity: str, value: Any) -> bytes:
        """The blob of one JSON object."""
        return self.encode_many(entity, [value])[0]

    def decode(self, blob: bytes | None) -> Any:
        """The JSON object of a blob (None stays None)."""
        if blob is None:
            return None
        if blob[0] == _PLAIN:
            return json.loads(blob)
        if blob[0] != _DEFLATED:
            raise ValueError("unknown record blob format")
        zdict = self._by_id.get(blob[1])
        if zdict is None:
            self._load()
            zdict = self._by_id[blob[1]]
        unpacker = zlib.decompressobj(_WBITS, zdict)
        return json.loads(unpacker.decompress(blob[2:]) + unpacker.flush())
