"""The catalogue's cache file: same catalogue back, equal texts shared, bad files ignored."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec

from tests.service.test_catalogue_stream import decoded, library, shape
from zinv_tui.service.catalogue import Catalogue


def test_round_trip_shares_equal_texts(tmp_path: Path) -> None:
    catalogue = decoded(json.dumps(library(50)).encode(), '"v7"')
    path = tmp_path / "cache" / "catalogue.msgpack"
    catalogue.save(path)
    loaded = Catalogue.load(path)
    assert loaded is not None and loaded.etag == '"v7"'
    assert shape(loaded) == shape(catalogue)
    labels = [variant.name for product in loaded for variant in product.variants]
    assert len(labels) > 50 and len({id(label) for label in labels}) == 1  # one "M / Red"


def test_unreadable_or_old_cache_files_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.msgpack"
    assert Catalogue.load(path) is None  # none yet
    path.write_bytes(b"\x93junk")
    assert Catalogue.load(path) is None
    old = {"version": 1, "etag": '"v1"', "products": [{"uuid": "p", "name": "n", "variants": []}]}
    path.write_bytes(msgspec.msgpack.encode(old))
    assert Catalogue.load(path) is None  # an older layout: read the library again
