"""The Product Library decoded while it arrives: same catalogue as decoding the whole answer."""

from __future__ import annotations

import json
import random
import uuid

import pytest

from zinv_tui.api.v1.catalogue import CatalogueError, CatalogueStream, ProductList, decode_products
from zinv_tui.service.catalogue import Catalogue


def decoded(body: bytes, etag: str | None = None) -> Catalogue:
    """The catalogue of a whole Product Library answer."""
    return Catalogue(decode_products(body), etag)


def new_stream() -> CatalogueStream[ProductList]:
    return CatalogueStream(ProductList())


def finished(stream: CatalogueStream[ProductList], etag: str | None = None) -> Catalogue:
    return Catalogue(stream.finish().products, etag)


def library(count: int, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)

    def new_uuid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128)))

    return [
        {
            "uuid": new_uuid(),
            "name": f'Mug {i} }},{{"uuid": [x]',  # text that looks like a cut between products
            "variants": [
                {
                    "uuid": new_uuid(),
                    "name": "",
                    "sku": f"MUG-{i}-{j}",
                    "barcode": "",
                    "options": [{"name": "Size", "value": "M"}, {"name": "Colour", "value": "Red"}],
                }
                for j in range(rng.randint(1, 40))
            ],
        }
        for i in range(count)
    ]


def shape(catalogue: Catalogue) -> list[tuple]:
    return [(p.uuid, p.name, p.variants) for p in catalogue]


def streamed(
    body: bytes, chunk: int, flush_at: int = 4096
) -> tuple[Catalogue, CatalogueStream[ProductList]]:
    stream = new_stream()
    stream.FLUSH_AT = stream._next_try = flush_at
    for start in range(0, len(body), chunk):
        stream.write(body[start : start + chunk])
    return finished(stream, '"e1"'), stream


@pytest.mark.parametrize("chunk", [1, 333, 65536])
def test_chunks_of_any_size_give_the_same_catalogue(chunk: int) -> None:
    body = json.dumps(library(300), separators=(",", ":")).encode()
    whole = decoded(body)
    catalogue, stream = streamed(body, chunk)
    assert shape(catalogue) == shape(whole) and catalogue.etag == '"e1"'
    assert len(catalogue) == 300
    assert stream._streaming  # decoded on the way, not at the end


def test_the_buffer_stays_small_while_products_arrive() -> None:
    body = json.dumps(library(400), separators=(",", ":")).encode()
    stream = new_stream()
    stream.FLUSH_AT = stream._next_try = 16384
    largest = 0
    for start in range(0, len(body), 4096):
        stream.write(body[start : start + 4096])
        largest = max(largest, len(stream._buffer))
    assert largest < len(body) / 20, (largest, len(body))
    assert len(finished(stream)) == 400


def test_pretty_printed_or_empty_answers_are_decoded_whole() -> None:
    products = library(30)
    pretty = json.dumps(products, indent=2).encode()
    catalogue, _ = streamed(b"  \n" + pretty, 100)
    assert shape(catalogue) == shape(decoded(pretty))
    assert len(streamed(b" [ ] ", 2)[0]) == 0


def test_no_cut_found_falls_back_to_decoding_whole() -> None:
    body = json.dumps(library(20), separators=(",", ":")).encode()
    stream = new_stream()
    stream.FLUSH_AT = stream._next_try = 512
    stream.TRIES = 1  # every try lands between variants: never a cut between products
    stream.GIVE_UP_AT = 4096
    for start in range(0, len(body), 256):
        stream.write(body[start : start + 256])
    assert stream._streaming is False
    assert shape(finished(stream)) == shape(decoded(body))


@pytest.mark.parametrize(
    "body",
    [
        b'[{"uuid": "a", "variants": []}, {"uuid": ',  # cut short
        b'[{"uuid": 5}]',  # wrong shape
        b"not json at all",
    ],
)
def test_unreadable_answers_raise(body: bytes) -> None:
    with pytest.raises(CatalogueError):
        streamed(body, 7, flush_at=8)
