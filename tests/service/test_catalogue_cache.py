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


def test_a_load_after_a_restore_shares_the_rows_strings(tmp_path: Path) -> None:
    catalogue = decoded(json.dumps(library(5)).encode(), '"v1"')
    catalogue.save(tmp_path / "c.msgpack")
    product = next(iter(catalogue))
    # strings equal to the catalogue's, but other objects (as rows decoded from a snapshot)
    held = ["".join(list(text)) for text in (product.uuid, product.name, product.variants[0].uuid)]
    loaded = Catalogue.load(tmp_path / "c.msgpack", held)
    assert loaded is not None
    again = loaded.products[product.uuid]
    assert again.uuid is held[0] and again.name is held[1]
    assert again.variants[0].uuid is held[2]
