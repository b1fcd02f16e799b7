"""SQLite persistence of the sandbox: catalogue, tracking flags, the movement ledger, materialised
balances, stored replies (externalUuid idempotency) and low-stock levels.

Every write happens inside :meth:`LedgerStore.transaction`; a ledger row and the balance rows it
changes are written in the same transaction. One change counter (``seq``) numbers every ledger row
and every tracking change; each balance row keeps the ``seq`` of its last change (indexed), which is
what the ``since`` change feed reads. The store knows nothing of HTTP or of Zettle's rules.

The counter is never stored on its own: it is the highest number in the ledger and tracking tables,
read after the write transaction has taken the database's write lock. So a sandbox restarted on its
database counts on from where it stopped, however it stopped, and several sandbox processes on one
file never hand out the same number.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from zinv_tui.sandbox.demo_data import DemoShop
from zinv_tui.sandbox.numbers import BALANCE_MAX, BALANCE_MIN

_LOCATIONS = """CREATE TABLE IF NOT EXISTS locations (
    uuid TEXT PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL, is_default INTEGER NOT NULL, ord INTEGER NOT NULL)"""
"""Locations (v3: inventories) in creation order; several of type STORE, one of them default."""

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
{_LOCATIONS};
CREATE TABLE IF NOT EXISTS products (
    uuid TEXT PRIMARY KEY, ord INTEGER NOT NULL, name TEXT NOT NULL, category TEXT NOT NULL,
    description TEXT NOT NULL, unit_name TEXT, vat REAL NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS variants (
    uuid TEXT PRIMARY KEY, product_uuid TEXT NOT NULL, ord INTEGER NOT NULL, name TEXT NOT NULL,
    sku TEXT, barcode TEXT, options TEXT NOT NULL, price INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tracking (
    product_uuid TEXT PRIMARY KEY, tracked INTEGER NOT NULL, seq INTEGER NOT NULL,
    changed TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger (
    seq INTEGER PRIMARY KEY, product_uuid TEXT NOT NULL, variant_uuid TEXT NOT NULL,
    from_location TEXT NOT NULL, to_location TEXT NOT NULL, change INTEGER NOT NULL,
    external_uuid TEXT, source TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS balances (
    location_uuid TEXT NOT NULL, variant_uuid TEXT NOT NULL, product_uuid TEXT NOT NULL,
    balance INTEGER NOT NULL, seq INTEGER NOT NULL, updated TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (location_uuid, variant_uuid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS replies (
    external_uuid TEXT PRIMARY KEY, body TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS low_stock (
    location_uuid TEXT NOT NULL, product_uuid TEXT NOT NULL, variant_uuid TEXT NOT NULL,
    level INTEGER, alert INTEGER NOT NULL,
    PRIMARY KEY (location_uuid, variant_uuid)) WITHOUT ROWID;
"""

# Secondary indexes: created after the bulk load of the demo shop (faster than maintaining them).
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS variants_product ON variants (product_uuid)",
    "CREATE INDEX IF NOT EXISTS tracking_seq ON tracking (seq)",
    "CREATE INDEX IF NOT EXISTS ledger_created ON ledger (created)",
    "CREATE INDEX IF NOT EXISTS balances_seq ON balances (location_uuid, seq)",
    "CREATE INDEX IF NOT EXISTS balances_product ON balances (product_uuid)",
    "CREATE INDEX IF NOT EXISTS balances_updated ON balances (updated)",
    "CREATE INDEX IF NOT EXISTS low_stock_product ON low_stock (location_uuid, product_uuid)",
)


_BUSY_TIMEOUT = 30.0
"""Seconds a write waits for another process's write transaction on the same file."""


class BalanceOutOfRange(ValueError):
    """A movement would take a balance outside :data:`BALANCE_MIN`..:data:`BALANCE_MAX`."""

    def __init__(self, location_uuid: str, variant_uuid: str, balance: int) -> None:
        super().__init__(f"balance of {variant_uuid} in {location_uuid} would be {balance}")
        self.location_uuid = location_uuid
        self.variant_uuid = variant_uuid
        self.balance = balance


def utc_now() -> str:
    """Now as the store writes timestamps: ISO-8601 UTC with microseconds (sorts as text)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_millis(stamp: str) -> str:
    """A :func:`utc_now` timestamp cut to milliseconds (``2026-01-01T00:00:00.123Z``): the
    ``updated`` of a balance row, as v3 shows it (sorts as text too)."""
    return stamp[:23] + "Z"


@dataclass(frozen=True, slots=True)
class Movement:
    """One ledger row to write."""

    product_uuid: str
    variant_uuid: str
    from_location: str
    to_location: str
    change: int


@dataclass(frozen=True, slots=True)
class BalanceRow:
    """A variant's balance in one location."""

    product_uuid: str
    variant_uuid: str
    balance: int


@dataclass(frozen=True, slots=True)
class StockRow:
    """A variant's row in one location with its low-stock setting (v3's stock row)."""

    location_uuid: str
    product_uuid: str
    variant_uuid: str
    balance: int
    updated: str
    low_stock_level: int | None
    low_stock_alert: int


_STOCK_SELECT = (
    "SELECT b.location_uuid, b.product_uuid, b.variant_uuid, b.balance, b.updated, l.level, "
    "coalesce(l.alert, 0) FROM balances b "
    "JOIN tracking t ON t.product_uuid = b.product_uuid AND t.tracked = 1 "
    "LEFT JOIN low_stock l ON l.location_uuid = b.location_uuid AND l.variant_uuid = b.variant_uuid"
)


class LedgerStore:
    """The sandbox's SQLite database (a file, or ``:memory:``)."""

    def __init__(self, path: str | Path | None = None) -> None:
        target = str(path) if path else ":memory:"
        self.path = target
        self._db = sqlite3.connect(
            target, check_same_thread=False, isolation_level=None, timeout=_BUSY_TIMEOUT
        )
        if target != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA temp_store=MEMORY")
        self._db.execute("PRAGMA cache_size=-65536")
        self._db.executescript(_SCHEMA)
        self._migrate()
        if not self.is_empty():
            self._create_indexes()
        self._seq: int | None = None  # the counter, known only inside a write transaction
        self._variant_product: dict[str, str] = {}
        self._product_variants: dict[str, list[str]] = {}
        self._load_catalogue_index()

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def _migrate(self) -> None:
        """Bring a database of an earlier version up to date (idempotent, under the write lock):
        several STORE inventories (no unique location type), and ``balances.updated``."""
        db = self._db

        def outdated() -> tuple[bool, bool]:
            sql = db.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'locations'"
            ).fetchone()[0]
            columns = {row[1] for row in db.execute("PRAGMA table_info(balances)")}
            return "UNIQUE" in sql.upper(), "updated" not in columns

        if not any(outdated()):
            return
        db.execute("BEGIN IMMEDIATE")
        try:
            unique_type, no_updated = outdated()
            if unique_type:
                db.execute("ALTER TABLE locations RENAME TO locations_old")
                db.execute(_LOCATIONS)
                db.execute("INSERT INTO locations SELECT * FROM locations_old")
                db.execute("DROP TABLE locations_old")
            if no_updated:
                db.execute("ALTER TABLE balances ADD COLUMN updated TEXT NOT NULL DEFAULT ''")
                db.execute(
                    "UPDATE balances SET updated = coalesce("
                    "(SELECT substr(created, 1, 23) || 'Z' FROM ledger WHERE seq = balances.seq),"
                    "(SELECT substr(changed, 1, 23) || 'Z' FROM tracking WHERE seq = balances.seq),"
                    " '')"
                )
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    # -- transactions and the change counter -------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside happen together or not at all.

        ``BEGIN IMMEDIATE`` takes the write lock first (waiting for another process's write),
        then the change counter is read from the ledger itself, so no other writer can hand out
        the same numbers and nothing but the committed rows ever records how far it got.
        """
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._seq = self._newest_seq()
            yield
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        finally:
            self._seq = None

    def _newest_seq(self) -> int:
        row = self._db.execute(
            "SELECT max(coalesce((SELECT max(seq) FROM ledger), 0), "
            "coalesce((SELECT max(seq) FROM tracking), 0))"
        ).fetchone()
        return int(row[0])

    @property
    def latest(self) -> int:
        """The change sequence number of the newest change (committed, or in this transaction)."""
        return self._newest_seq() if self._seq is None else self._seq

    def _next_seq(self) -> int:
        return self._take_seqs(1)

    def _take_seqs(self, count: int) -> int:
        """Hand out ``count`` consecutive change numbers; returns the first."""
        if self._seq is None:
            raise RuntimeError("change numbers are handed out inside a write transaction only")
        first = self._seq + 1
        self._seq += count
        return first

    def meta(self, key: str) -> str | None:
        """A value of the key/value ``meta`` table."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- demo data ------------------------------------------------------------------------------

    def is_empty(self) -> bool:
        """True when no shop has been loaded yet."""
        return self.meta("organization_uuid") is None

    def load_shop(self, shop: DemoShop, products_requested: int) -> bool:
        """Write the demo shop: catalogue, tracking, opening balances (SUPPLIER->STORE moves).

        False (and nothing written) when another process loaded a shop into the file first.
        """
        store = next(loc.uuid for loc in shop.locations if loc.type == "STORE")
        supplier = next(loc.uuid for loc in shop.locations if loc.type == "SUPPLIER")
        now = utc_now()
        stamp = to_millis(now)
        numbers = itertools.count(1)  # the file is empty: changes are numbered from 1
        products, variants, tracking, ledger, balances, low_stock = [], [], [], [], [], []
        for p_ord, product in enumerate(shop.products):
            products.append(
                (
                    product.uuid,
                    p_ord,
                    product.name,
                    product.category,
                    product.description,
                    product.unit_name,
                    product.vat_percentage,
                    product.created,
                )
            )
            if product.tracked:
                tracking.append((product.uuid, 1, next(numbers), now))
            for v_ord, variant in enumerate(product.variants):
                variants.append(
                    (
                        variant.uuid,
                        product.uuid,
                        v_ord,
                        variant.name,
                        variant.sku,
                        variant.barcode,
                        json.dumps([{"name": n, "value": v} for n, v in variant.options]),
                        variant.price,
                    )
                )
                if variant.opening_balance:
                    seq = next(numbers)
                    ledger.append(
                        (
                            seq,
                            product.uuid,
                            variant.uuid,
                            supplier,
                            store,
                            variant.opening_balance,
                            None,
                            "demo",
                            now,
                        )
                    )
                    balances.append(
                        (store, variant.uuid, product.uuid, variant.opening_balance, seq, stamp)
                    )
                    balances.append(
                        (supplier, variant.uuid, product.uuid, -variant.opening_balance, seq, stamp)
                    )
                if variant.low_stock_level is not None or variant.low_stock_alert:
                    low_stock.append(
                        (
                            store,
                            product.uuid,
                            variant.uuid,
                            variant.low_stock_level,
                            int(variant.low_stock_alert),
                        )
                    )
        with self.transaction():
            if not self.is_empty():  # another sandbox on this file was quicker
                loaded = False
            else:
                loaded = True
                db = self._db
                db.executemany(
                    "INSERT INTO locations VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (loc.uuid, loc.type, loc.name, loc.description, int(loc.default), index)
                        for index, loc in enumerate(shop.locations)
                    ],
                )
                db.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?, ?)", products)
                db.executemany("INSERT INTO variants VALUES (?, ?, ?, ?, ?, ?, ?, ?)", variants)
                db.executemany("INSERT INTO tracking VALUES (?, ?, ?, ?)", tracking)
                db.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", ledger)
                db.executemany("INSERT INTO balances VALUES (?, ?, ?, ?, ?, ?)", balances)
                db.executemany("INSERT INTO low_stock VALUES (?, ?, ?, ?, ?)", low_stock)
                self._create_indexes()
                for key, value in (
                    ("organization_uuid", shop.organization_uuid),
                    ("user_uuid", shop.user_uuid),
                    ("client_id", shop.client_id),
                    ("key_secret", shop.key_secret.hex()),
                    ("key_issued_at", str(shop.key_issued_at)),
                    ("seed", str(shop.seed)),
                    ("products", str(products_requested)),
                    ("created", now),
                ):
                    self._set_meta(key, value)
        if not loaded:
            self._create_indexes()
            self._load_catalogue_index()
            return False
        self._product_variants = {p.uuid: [v.uuid for v in p.variants] for p in shop.products}
        self._variant_product = {v.uuid: p.uuid for p in shop.products for v in p.variants}
        return True

    def _create_indexes(self) -> None:
        for statement in _INDEXES:
            self._db.execute(statement)

    def _load_catalogue_index(self) -> None:
        self._variant_product = {}
        self._product_variants = {}
        for product_uuid in self._db.execute("SELECT uuid FROM products ORDER BY ord"):
            self._product_variants[product_uuid[0]] = []
        for variant_uuid, product_uuid in self._db.execute(
            "SELECT uuid, product_uuid FROM variants ORDER BY product_uuid, ord"
        ):
            self._variant_product[variant_uuid] = product_uuid
            self._product_variants.setdefault(product_uuid, []).append(variant_uuid)

    # -- catalogue ----------------------------------------------------------------------------

    def has_product(self, product_uuid: str) -> bool:
        """True for a product of the catalogue."""
        return product_uuid in self._product_variants

    def product_of_variant(self, variant_uuid: str) -> str | None:
        """The product a variant belongs to, or ``None`` for an unknown variant."""
        return self._variant_product.get(variant_uuid)

    def variants_of(self, product_uuid: str) -> list[str]:
        """The product's variant UUIDs in catalogue order."""
        return self._product_variants.get(product_uuid, [])

    def counts(self) -> tuple[int, int]:
        """How many products and variants the catalogue has."""
        return len(self._product_variants), len(self._variant_product)

    def locations(self) -> list[tuple[str, str, str, str, bool]]:
        """``(uuid, type, name, description, default)`` of every location."""
        rows = self._db.execute(
            "SELECT uuid, type, name, description, is_default FROM locations ORDER BY ord"
        )
        return [(u, t, n, d, bool(default)) for u, t, n, d, default in rows]

    def products_with_variants(self) -> list[tuple[tuple, list[tuple]]]:
        """Every product row with its variant rows, in catalogue order."""
        variants: dict[str, list[tuple]] = {}
        for row in self._db.execute(
            "SELECT product_uuid, uuid, name, sku, barcode, options, price FROM variants "
            "ORDER BY product_uuid, ord"
        ):
            variants.setdefault(row[0], []).append(row[1:])
        products = self._db.execute(
            "SELECT uuid, name, category, description, unit_name, vat, created FROM products "
            "ORDER BY ord"
        ).fetchall()
        return [(product, variants.get(product[0], [])) for product in products]

    # -- tracking -----------------------------------------------------------------------------

    def is_tracked(self, product_uuid: str) -> bool:
        """True while the product is tracked."""
        row = self._db.execute(
            "SELECT tracked FROM tracking WHERE product_uuid = ?", (product_uuid,)
        ).fetchone()
        return bool(row and row[0])

    def tracked_among(self, product_uuids: Iterable[str]) -> set[str]:
        """Which of these products are tracked (one query, whatever their number)."""
        rows = self._db.execute(
            "SELECT t.product_uuid FROM json_each(?) w CROSS JOIN tracking t "
            "ON t.product_uuid = w.value WHERE t.tracked = 1",
            (json.dumps(list(set(product_uuids))),),
        )
        return {row[0] for row in rows}

    def set_tracking(self, product_uuid: str, tracked: bool) -> bool:
        """Start or stop tracking (inside a transaction); False when nothing changed."""
        if self.is_tracked(product_uuid) == tracked:
            return False
        now = utc_now()
        self._db.execute(
            "INSERT INTO tracking VALUES (?, ?, ?, ?) ON CONFLICT (product_uuid) DO UPDATE SET "
            "tracked = excluded.tracked, seq = excluded.seq, changed = excluded.changed",
            (product_uuid, int(tracked), self._next_seq(), now),
        )
        if tracked:  # its rows show again: changed as far as a v3 reader can tell
            self._db.execute(
                "UPDATE balances SET updated = ? WHERE product_uuid = ?",
                (to_millis(now), product_uuid),
            )
        return True

    def tracked_products(
        self, since: int | None = None, among: Sequence[str] | None = None
    ) -> list[str]:
        """Tracked products (changed after ``since``, among ``among``, when those are given)."""
        if since is None:
            rows = self._db.execute("SELECT product_uuid FROM tracking WHERE tracked = 1")
        else:
            rows = self._db.execute(
                "SELECT product_uuid FROM tracking WHERE seq > ? AND tracked = 1", (since,)
            )
        found = [row[0] for row in rows]
        if among is not None:
            wanted = set(among)
            found = [uuid for uuid in found if uuid in wanted]
        return found

    def untracked_since(self, since: int) -> list[str]:
        """Products whose tracking stopped after ``since`` (and that are still not tracked)."""
        rows = self._db.execute(
            "SELECT product_uuid FROM tracking WHERE seq > ? AND tracked = 0", (since,)
        )
        return [row[0] for row in rows]

    # -- ledger and balances ------------------------------------------------------------------

    def record(
        self, movements: Iterable[Movement], *, source: str, external_uuid: str | None = None
    ) -> dict[tuple[str, str], int]:
        """Append movements to the ledger and update both balances (inside a transaction).

        Returns the new balance of every ``(location, variant)`` it changed. Raises
        :class:`BalanceOutOfRange` (before writing) when a balance would leave 64-bit range, so
        SQLite never turns a balance into a float. Balances are worked out here from one read of
        the touched rows, then written in two statements, whatever the number of movements.
        """
        moves = list(movements)
        if not moves:
            return {}
        by_location: dict[str, set[str]] = {}
        for move in moves:
            by_location.setdefault(move.from_location, set()).add(move.variant_uuid)
            by_location.setdefault(move.to_location, set()).add(move.variant_uuid)
        balance: dict[tuple[str, str], int] = {}
        for location, variants in by_location.items():
            for variant, amount in self.balances_in(location, variants).items():
                balance[(location, variant)] = amount
        first = self._take_seqs(len(moves))
        created = utc_now()
        stamp = to_millis(created)
        last: dict[tuple[str, str], tuple[str, int]] = {}  # (product, seq) of the last change
        ledger_rows = []
        for seq, move in enumerate(moves, start=first):
            variant = move.variant_uuid
            ledger_rows.append(
                (
                    seq,
                    move.product_uuid,
                    variant,
                    move.from_location,
                    move.to_location,
                    move.change,
                    external_uuid,
                    source,
                    created,
                )
            )
            source_key = (move.from_location, variant)
            target_key = (move.to_location, variant)
            balance[source_key] = balance.get(source_key, 0) - move.change
            balance[target_key] = balance.get(target_key, 0) + move.change
            last[source_key] = last[target_key] = (move.product_uuid, seq)
        rows = []
        changed = {}
        for key, (product, seq) in last.items():
            amount = balance[key]
            if not BALANCE_MIN <= amount <= BALANCE_MAX:
                raise BalanceOutOfRange(key[0], key[1], amount)
            rows.append((key[0], key[1], product, amount, seq, stamp))
            changed[key] = amount
        self._db.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", ledger_rows)
        self._db.executemany(
            "INSERT INTO balances VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (location_uuid, "
            "variant_uuid) DO UPDATE SET balance = excluded.balance, seq = excluded.seq, "
            "updated = excluded.updated",
            rows,
        )
        return changed

    def record_past(self, movements: Sequence[tuple[Movement, str]], *, source: str) -> list[int]:
        """Append movements that happened earlier (``(movement, created)`` pairs, oldest first,
        ``created`` as :func:`utc_now` writes it) in one go, inside a transaction: the generated
        sales history of the demo (``zinv_tui/sandbox/history.py``). Balances are updated once
        per (location, variant), with the seq of its last movement."""
        numbers: list[int] = []
        rows = []
        totals: dict[tuple[str, str], list] = {}
        for move, created in movements:
            seq = self._next_seq()
            numbers.append(seq)
            rows.append(
                (
                    seq,
                    move.product_uuid,
                    move.variant_uuid,
                    move.from_location,
                    move.to_location,
                    move.change,
                    None,
                    source,
                    created,
                )
            )
            for location, change in (
                (move.from_location, -move.change),
                (move.to_location, move.change),
            ):
                entry = totals.setdefault(
                    (location, move.variant_uuid), [move.product_uuid, 0, 0, ""]
                )
                entry[1] += change
                entry[2] = seq
                entry[3] = to_millis(created)
        self._db.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        self._db.executemany(
            "INSERT INTO balances VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (location_uuid, "
            "variant_uuid) DO UPDATE SET balance = balance + excluded.balance, "
            "seq = excluded.seq, updated = excluded.updated",
            [
                (location, variant, product, change, seq, updated)
                for (location, variant), (product, change, seq, updated) in totals.items()
            ],
        )
        return numbers

    @property
    def connection(self) -> sqlite3.Connection:
        """The database connection, for sandbox modules that keep their own tables in the same
        file and write inside :meth:`transaction` (the Purchase API: ``sandbox/purchases.py``)."""
        return self._db

    def balances_in(self, location_uuid: str, variant_uuids: Iterable[str]) -> dict[str, int]:
        """The balances of some variants in a location (variants that never moved there: absent)."""
        wanted = json.dumps(list(variant_uuids))
        rows = self._db.execute(
            "SELECT b.variant_uuid, b.balance FROM json_each(?) w CROSS JOIN balances b "
            "ON b.location_uuid = ? AND b.variant_uuid = w.value",
            (wanted, location_uuid),
        )
        return dict(rows.fetchall())

    def tracked_balances(
        self,
        location_uuid: str,
        *,
        since: int | None = None,
        products: Sequence[str] | None = None,
    ) -> list[BalanceRow]:
        """Balances of tracked products in a location.

        Without ``since``: non-zero balances only. With ``since``: every balance changed after it,
        plus every balance of a product whose tracking (re)started after it, zeros included.
        """
        db = self._db
        if since is None and products is not None:
            # A few products: walk them through the product index instead of the whole location.
            sql = (
                "SELECT b.product_uuid, b.variant_uuid, b.balance FROM json_each(?) p "
                "CROSS JOIN balances b ON b.product_uuid = p.value AND b.location_uuid = ? "
                "JOIN tracking t ON t.product_uuid = b.product_uuid AND t.tracked = 1 "
                "WHERE b.balance != 0"
            )
            wanted_json = json.dumps(list(dict.fromkeys(products)))
            return [BalanceRow(*row) for row in db.execute(sql, (wanted_json, location_uuid))]
        if since is None:
            sql = (
                "SELECT b.product_uuid, b.variant_uuid, b.balance FROM balances b "
                "JOIN tracking t ON t.product_uuid = b.product_uuid AND t.tracked = 1 "
                "WHERE b.location_uuid = ? AND b.balance != 0"
            )
            rows = db.execute(sql, (location_uuid,)).fetchall()
        else:
            sql = (
                "SELECT b.product_uuid, b.variant_uuid, b.balance FROM balances b "
                "JOIN tracking t ON t.product_uuid = b.product_uuid AND t.tracked = 1 "
                "WHERE b.location_uuid = ? AND b.seq > ? "
                "UNION "
                # CROSS JOIN makes SQLite walk the (few) recently changed tracking rows first.
                "SELECT b.product_uuid, b.variant_uuid, b.balance FROM tracking t "
                "CROSS JOIN balances b ON b.product_uuid = t.product_uuid AND b.location_uuid = ? "
                "WHERE t.seq > ? AND t.tracked = 1"
            )
            rows = db.execute(sql, (location_uuid, since, location_uuid, since)).fetchall()
        if products is not None:
            wanted = set(products)
            rows = [row for row in rows if row[0] in wanted]
        return [BalanceRow(*row) for row in rows]

    def seq_at(self, moment: str) -> int:
        """The newest change sequence number at or before ``moment`` (an ISO UTC timestamp)."""
        row = self._db.execute(
            "SELECT max(coalesce((SELECT max(seq) FROM ledger WHERE created <= ?), 0), "
            "coalesce((SELECT max(seq) FROM tracking WHERE changed <= ?), 0))",
            (moment, moment),
        ).fetchone()
        return int(row[0] or 0)

    def ledger(self, since_seq: int = 0, limit: int | None = None) -> list[tuple]:
        """Ledger rows after ``since_seq``, oldest first."""
        sql = (
            "SELECT seq, product_uuid, variant_uuid, from_location, to_location, change, "
            "external_uuid, source, created FROM ledger WHERE seq > ? ORDER BY seq"
        )
        params: tuple = (since_seq,)
        if limit is not None:
            sql += " LIMIT ?"
            params = (since_seq, limit)
        return self._db.execute(sql, params).fetchall()

    def sellable_count(self, store_uuid: str) -> int:
        """How many tracked variants have stock in STORE."""
        return self._db.execute(
            "SELECT count(*) FROM balances b JOIN tracking t ON t.product_uuid = b.product_uuid "
            "AND t.tracked = 1 WHERE b.location_uuid = ? AND b.balance > 0",
            (store_uuid,),
        ).fetchone()[0]

    def sellable_at(self, store_uuid: str, offset: int) -> BalanceRow | None:
        """The ``offset``-th tracked variant with stock in STORE."""
        row = self._db.execute(
            "SELECT b.product_uuid, b.variant_uuid, b.balance FROM balances b "
            "JOIN tracking t ON t.product_uuid = b.product_uuid AND t.tracked = 1 "
            "WHERE b.location_uuid = ? AND b.balance > 0 LIMIT 1 OFFSET ?",
            (store_uuid, offset),
        ).fetchone()
        return BalanceRow(*row) if row else None

    # -- stored replies (externalUuid) ----------------------------------------------------------

    def reply_for(self, external_uuid: str) -> str | None:
        """The body answered to the first request with this externalUuid."""
        row = self._db.execute(
            "SELECT body FROM replies WHERE external_uuid = ?", (external_uuid,)
        ).fetchone()
        return row[0] if row else None

    def save_reply(self, external_uuid: str, body: str) -> None:
        """Remember the answer of an applied request (inside its transaction)."""
        self._db.execute("INSERT INTO replies VALUES (?, ?, ?)", (external_uuid, body, utc_now()))

    # -- low-stock levels ---------------------------------------------------------------------

    def set_low_stock(
        self,
        location_uuid: str,
        product_uuid: str,
        variant_uuid: str,
        level: int | None,
        alert: bool,
    ) -> None:
        """Store a custom level; the defaults (no level, no alert) delete the record."""
        if level is None and not alert:
            self.delete_low_stock(location_uuid, variant_uuid)
            return
        self._db.execute(
            "INSERT INTO low_stock VALUES (?, ?, ?, ?, ?) ON CONFLICT (location_uuid, "
            "variant_uuid) DO UPDATE SET level = excluded.level, alert = excluded.alert",
            (location_uuid, product_uuid, variant_uuid, level, int(alert)),
        )
        self._touch(location_uuid, variant_uuid)

    def delete_low_stock(self, location_uuid: str, variant_uuid: str) -> None:
        """Forget a variant's custom level (no error when there is none)."""
        deleted = self._db.execute(
            "DELETE FROM low_stock WHERE location_uuid = ? AND variant_uuid = ?",
            (location_uuid, variant_uuid),
        )
        if deleted.rowcount:
            self._touch(location_uuid, variant_uuid)

    def _touch(self, location_uuid: str, variant_uuid: str) -> None:
        """A balance row's low-stock setting changed: its v3 ``updated`` moves (no seq: the v1
        change feed reports balances only)."""
        self._db.execute(
            "UPDATE balances SET updated = ? WHERE location_uuid = ? AND variant_uuid = ?",
            (to_millis(utc_now()), location_uuid, variant_uuid),
        )

    def low_stock(
        self, location_uuid: str, product_uuid: str | None = None
    ) -> list[tuple[str, str, int | None, bool]]:
        """``(product, variant, level, alert)`` rows of a location (optionally one product)."""
        if product_uuid is None:
            rows = self._db.execute(
                "SELECT l.product_uuid, l.variant_uuid, l.level, l.alert FROM low_stock l "
                "JOIN variants v ON v.uuid = l.variant_uuid WHERE l.location_uuid = ? "
                "ORDER BY l.product_uuid, v.ord",
                (location_uuid,),
            )
        else:
            rows = self._db.execute(
                "SELECT l.product_uuid, l.variant_uuid, l.level, l.alert FROM low_stock l "
                "JOIN variants v ON v.uuid = l.variant_uuid "
                "WHERE l.location_uuid = ? AND l.product_uuid = ? ORDER BY v.ord",
                (location_uuid, product_uuid),
            )
        return [(p, v, level, bool(alert)) for p, v, level, alert in rows]

    # -- inventories and stock rows (v3) ------------------------------------------------------

    def add_location(self, uuid: str, kind: str, name: str, description: str) -> None:
        """Add a (non-default) location after the others (inside a transaction)."""
        self._db.execute(
            "INSERT INTO locations SELECT ?, ?, ?, ?, 0, coalesce(max(ord), -1) + 1 FROM locations",
            (uuid, kind, name, description),
        )

    def stock_rows(
        self,
        location_uuid: str,
        *,
        after_variant: str = "",
        limit: int,
        products: Sequence[str] | None = None,
        nonzero: bool = False,
    ) -> list[StockRow]:
        """Rows of tracked products in a location that ever moved (zeros included unless
        ``nonzero``), in variant order, after ``after_variant``."""
        zeros = " AND b.balance != 0" if nonzero else ""
        if products is None:
            sql = (
                f"{_STOCK_SELECT} WHERE b.location_uuid = ? AND b.variant_uuid > ?{zeros} "
                "ORDER BY b.variant_uuid LIMIT ?"
            )
            params: tuple = (location_uuid, after_variant, limit)
        else:
            sql = (
                f"{_STOCK_SELECT} WHERE b.product_uuid IN (SELECT value FROM json_each(?)) "
                f"AND b.location_uuid = ? AND b.variant_uuid > ?{zeros} "
                "ORDER BY b.variant_uuid LIMIT ?"
            )
            params = (json.dumps(list(products)), location_uuid, after_variant, limit)
        return [StockRow(*row) for row in self._db.execute(sql, params)]

    def stock_updates(
        self, location_uuids: Sequence[str], after: tuple[str, str, str], limit: int
    ) -> list[StockRow]:
        """Rows of tracked products in these locations after ``(updated, location, variant)``,
        in that order (``updated`` at millisecond precision)."""
        # The row value seeks into the balances_updated index (whose entries end with the primary
        # key: already in this order), so every page starts where the last one ended; the unary +
        # keeps SQLite from searching the location first and sorting all its rows. An idle poll
        # reads no row.
        sql = (
            f"{_STOCK_SELECT} WHERE (b.updated, b.location_uuid, b.variant_uuid) > (?, ?, ?) "
            "AND +b.location_uuid IN (SELECT value FROM json_each(?)) "
            "ORDER BY b.updated, b.location_uuid, b.variant_uuid LIMIT ?"
        )
        params = (*after, json.dumps(list(location_uuids)), limit)
        return [StockRow(*row) for row in self._db.execute(sql, params)]

    def tracking_of(self, product_uuids: Iterable[str]) -> dict[str, bool]:
        """The tracking flag of each known product among these (never tracked: absent)."""
        rows = self._db.execute(
            "SELECT t.product_uuid, t.tracked FROM json_each(?) w CROSS JOIN tracking t "
            "ON t.product_uuid = w.value",
            (json.dumps(list(set(product_uuids))),),
        )
        return {product: bool(tracked) for product, tracked in rows}

    def tracked_page(self, after_product: str, limit: int) -> list[str]:
        """Tracked products after ``after_product``, in UUID order."""
        rows = self._db.execute(
            "SELECT product_uuid FROM tracking WHERE tracked = 1 AND product_uuid > ? "
            "ORDER BY product_uuid LIMIT ?",
            (after_product, limit),
        )
        return [row[0] for row in rows]

    def tracking_updates(self, after: tuple[str, str], limit: int) -> list[tuple[str, bool, str]]:
        """``(product, tracked, changed at ms)`` of tracking changes after ``(changed,
        product)``."""
        rows = self._db.execute(
            "SELECT product_uuid, tracked, substr(changed, 1, 23) || 'Z' AS at FROM tracking "
            "WHERE (at, product_uuid) > (?, ?) ORDER BY at, product_uuid LIMIT ?",
            (*after, limit),
        )
        return [(product, bool(tracked), at) for product, tracked, at in rows]
