"""How record JSON is kept on disk: the values of a known key list, deflated against a
per-entity dictionary.

API records are wide (a deal from a list page is ~1.7 kB of JSON, most of it key names and
nulls) and every record of a list page has the same keys in the same order. So a record
is stored as its *shape* (the id of its key list, kept once in ``zshapes``) plus the JSON
array of its values (~750 bytes for a deal), deflated against a dictionary made of the
value arrays of typical records of the same entity: ~150 bytes a deal, which is what keeps
a million deals under the disk budget, and half the encoding time of the whole object.

A blob starts with a one-byte format tag, so every earlier format stays readable:
``{`` plain JSON object; 0x01 deflated JSON object (dictionary id); 0x02 shaped (dictionary
id, 0 for none yet; shape id, 2 bytes big-endian; deflated JSON array of values).
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from typing import Any

_PLAIN = 0x7B  # "{" - an uncompressed JSON object
_DEFLATED = 0x01  # tag byte, one byte dictionary id, raw deflate of the JSON object
_SHAPED = 0x02  # tag byte, dictionary id, 2-byte shape id, raw deflate of the values
_OLD_WBITS = -12  # the 0x01 format's window
_WBITS = -14  # 16 kB window: a 16 kB dictionary of value arrays halves a deal's blob
_LEVEL = 3
_DICT_SAMPLES = 16  # a dictionary is made only from a page of at least this many records
_DICT_BYTES = (1 << -_WBITS) - 262  # what deflate can reach back into
_MAX_SHAPES = 65_535  # the id must fit in 2 bytes; beyond, the 0x01 form is used

_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False).encode


def dumps(value: Any) -> str:
    """Compact JSON text."""
    return _encode(value)


class JsonCodec:
    """Encodes/decodes record JSON blobs for one connection (dictionaries, shapes cached).

    New dictionaries and shapes are written inside the caller's transaction; call
    ``forget`` after a rollback so that none of them is used from memory afterwards.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._dicts: dict[int, bytes] = {}
        self._packers: dict[str, tuple[int, Any]] = {}  # entity -> (dict id, primed packer)
        self._shapes: dict[tuple[str, ...], bytes] = {}  # keys -> 2-byte shape id
        self._keys: dict[int, tuple[str, ...]] = {}
        self._loaded = False

    def forget(self) -> None:
        """Drop every cached dictionary and shape (the transaction that made some of them
        may have been rolled back)."""
        self._dicts.clear()
        self._packers.clear()
        self._shapes.clear()
        self._keys.clear()
        self._loaded = False

    def _load(self) -> None:
        for dict_id, entity, data in self._conn.execute("SELECT id, entity, data FROM zdicts"):
            self._dicts[dict_id] = data
            if entity.endswith("/values"):
                self._packers[entity.removesuffix("/values")] = (dict_id, _packer(data))
        for shape_id, keys in self._conn.execute("SELECT id, keys FROM zshapes"):
            names = tuple(json.loads(keys))
            self._keys[shape_id] = names
            self._shapes[names] = shape_id.to_bytes(2, "big")
        self._loaded = True

    def _packer(self, entity: str, sample: list[bytes]) -> tuple[int, Any]:
        if not self._loaded:
            self._load()
        found = self._packers.get(entity)
        if found is not None:
            return found
        if len(sample) < _DICT_SAMPLES or len(self._dicts) >= 255:
            return 0, _packer(b"")
        # The first full page stored for an entity becomes its dictionary, for good.
        data = b"".join(sample)[-_DICT_BYTES:]
        cur = self._conn.execute(
            "INSERT INTO zdicts(entity, data) VALUES (?, ?)", (f"{entity}/values", data)
        )
        dict_id = int(cur.lastrowid or 0)
        if dict_id > 255:
            return 0, _packer(b"")
        self._dicts[dict_id] = data
        found = self._packers[entity] = (dict_id, _packer(data))
        return found

    def _shape(self, entity: str, keys: tuple[str, ...]) -> bytes | None:
        if not all(key.__class__ is str for key in keys):
            return None
        if not self._loaded:
            self._load()
            if keys in self._shapes:
                return self._shapes[keys]
        cur = self._conn.execute(
            "INSERT INTO zshapes(entity, keys) VALUES (?, ?)", (entity, json.dumps(keys))
        )
        shape_id = int(cur.lastrowid or 0)
        if shape_id > _MAX_SHAPES:
            return None
        self._keys[shape_id] = keys
        found = self._shapes[keys] = shape_id.to_bytes(2, "big")
        return found

    def encode_many(self, entity: str, values: list[Any]) -> list[bytes]:
        """Blobs for ``values`` (JSON objects) of ``entity``."""
        shapes = self._shapes
        rows: list[tuple[bytes | None, bytes]] = []
        for value in values:
            keys = tuple(value)
            shape = shapes.get(keys)
            if shape is None:
                shape = self._shape(entity, keys)
            if shape is None:
                rows.append((None, _encode(value).encode()))
            else:
                rows.append((shape, _encode(list(value.values())).encode()))
        dict_id, primed = self._packer(entity, [text for shape, text in rows if shape])
        head = bytes((_SHAPED, dict_id))
        out = []
        for shape, text in rows:
            if shape is None:
                out.append(self._deflated(entity, text))
                continue
            packer = primed.copy()
            out.append(head + shape + packer.compress(text) + packer.flush())
        return out

    def _deflated(self, entity: str, text: bytes) -> bytes:
        # A record whose keys are not all text, or past the shape limit: the whole object.
        packer = zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS)
        return bytes((_DEFLATED, 0)) + packer.compress(text) + packer.flush()

    def encode(self, entity: str, value: Any) -> bytes:
        """The blob of one JSON object."""
        return self.encode_many(entity, [value])[0]

    def _zdict(self, dict_id: int) -> bytes:
        if dict_id == 0:
            return b""
        found = self._dicts.get(dict_id)
        if found is None:
            self._load()
            found = self._dicts[dict_id]
        return found

    def decode(self, blob: bytes | None) -> Any:
        """The JSON object of a blob (None stays None)."""
        if blob is None:
            return None
        tag = blob[0]
        if tag == _SHAPED:
            shape_id = int.from_bytes(blob[2:4], "big")
            keys = self._keys.get(shape_id)
            if keys is None:
                self._load()
                keys = self._keys[shape_id]
            unpacker = zlib.decompressobj(_WBITS, self._zdict(blob[1]))
            values = json.loads(unpacker.decompress(blob[4:]) + unpacker.flush())
            if len(values) != len(keys):
                raise ValueError("record blob does not match its shape")
            return dict(zip(keys, values, strict=True))
        if tag == _PLAIN:
            return json.loads(blob)
        if tag != _DEFLATED:
            raise ValueError("unknown record blob format")
        # 0x01 blobs of dictionary 0 were written with this version's window.
        wbits = _WBITS if blob[1] == 0 else _OLD_WBITS
        unpacker = zlib.decompressobj(wbits, self._zdict(blob[1]))
        return json.loads(unpacker.decompress(blob[2:]) + unpacker.flush())


def _packer(zdict: bytes) -> Any:
    """A deflate stream primed with ``zdict``, to be ``copy()``-ed for each record (cheaper
    than loading the dictionary again each time)."""
    if zdict:
        return zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, 8, zlib.Z_DEFAULT_STRATEGY, zdict)
    return zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS)
