"""Tables. `events` is the system of record; every other table is a projection
of it (rebuilt by replaying the log), except `idempotency`, an operational
record of answers already given to machine clients, which no draw reads."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

events = Table(
    "events", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),  # log index, from 0
    Column("kind", String(40), nullable=False),
    Column("at", String(32), nullable=False),
    Column("body", LargeBinary, nullable=False),  # canonical public bytes: the log leaf
    Column("private", LargeBinary),  # canonical private part, committed to by body
)

# One row; every write transaction updates it first, which serialises writers
# on both SQLite and PostgreSQL and gives the log one total order.
log_head = Table(
    "log_head", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("documents", BigInteger, nullable=False),
)

config_versions = Table(
    "config_versions", metadata,
    Column("name", String(40), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("value", Text, nullable=False),  # canonical JSON
    Column("seq", BigInteger, nullable=False),
)

bailiffs = Table(
    "bailiffs", metadata,
    Column("licence", String(32), primary_key=True),
    Column("full_name", String(200), nullable=False),
    Column("iin", String(12), nullable=False),
    Column("region", String(8), nullable=False, index=True),
    Column("district", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("chamber_head", Boolean, nullable=False),
    Column("share_milli", Integer, nullable=False),
    Column("specialisations", Text, nullable=False),  # canonical JSON list
    Column("conflicts", Text, nullable=False),  # canonical JSON list
    Column("registered_seq", BigInteger, nullable=False),
    Column("updated_seq", BigInteger, nullable=False),
)

claimants = Table(
    "claimants", metadata,
    Column("idn", String(12), primary_key=True),
    Column("type", String(8), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("name", String(200), nullable=False),
)

debtors = Table(
    "debtors", metadata,
    Column("idn", String(12), primary_key=True),
    Column("type", String(8), nullable=False),
    Column("name", String(200), nullable=False),
)

documents = Table(
    "documents", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("identity", String(64), nullable=False, unique=True),
    Column("seq", BigInteger, nullable=False),
    Column("registered_at", String(32), nullable=False),
    Column("claimant_idn", String(12), nullable=False, index=True),
    Column("claimant_kind", String(24), nullable=False),
    Column("debtor_idn", String(12), nullable=False, index=True),
    Column("doc_kind", String(24), nullable=False),
    Column("issuing_body", String(200), nullable=False),
    Column("number", String(64), nullable=False),
    Column("doc_date", Date, nullable=False),
    Column("basis", String(24), nullable=False),
    Column("region", String(8), nullable=False),
    Column("category", String(24), nullable=False),
    Column("amount_tiyn", BigInteger, nullable=False),
    Column("channel", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("external_ref", String(64), nullable=False),
    Column("band", Integer, nullable=False),
    Column("weight", Integer, nullable=False),
    Column("affinity", String(32), nullable=False),
    Column("round", BigInteger),  # the round that drew it (or left it pending)
    Column("assigned_to", String(32)),
    Column("how", String(8)),  # draw or affinity
    Index("ix_documents_region_status", "region", "status"),
    Index("ix_documents_status_channel", "status", "channel"),
)

rounds = Table(
    "rounds", metadata,
    Column("round", BigInteger, primary_key=True, autoincrement=False),
    Column("status", String(8), nullable=False),  # sealed, drawn
    Column("day", Date, nullable=False),
    Column("beacon_source", String(24), nullable=False),
    Column("beacon_index", BigInteger, nullable=False),
    Column("documents", BigInteger, nullable=False),
    Column("sealed_seq", BigInteger, nullable=False),
    Column("seed", String(64)),
    Column("drawn_seq", BigInteger),
)

# The draw's state per bailiff and region, as left by the last round.
bailiff_draw = Table(
    "bailiff_draw", metadata,
    Column("licence", String(32), primary_key=True),
    Column("region", String(8), nullable=False, index=True),
    Column("vtime", BigInteger, nullable=False),
    Column("open_count", BigInteger, nullable=False),
    Column("load", BigInteger, nullable=False),
)

region_draw = Table(
    "region_draw", metadata,
    Column("region", String(8), primary_key=True),
    Column("floor", BigInteger, nullable=False),
)

affinity = Table(
    "affinity", metadata,
    Column("region", String(8), primary_key=True),
    Column("key", String(32), primary_key=True),
    Column("licence", String(32), nullable=False),
)

beacon_anchors = Table(
    "beacon_anchors", metadata,
    Column("chain", Integer, primary_key=True, autoincrement=False),
    Column("length", BigInteger, nullable=False),
    Column("anchor", String(64), nullable=False),
    Column("last_index", BigInteger, nullable=False),  # highest index revealed so far
    Column("last_value", String(64), nullable=False),
)

# Secrets the operator keeps outside the log: the hash-chain seed and the
# key of the debtor affinity hash. Not a projection; never exported.
operator_secrets = Table(
    "operator_secrets", metadata,
    Column("name", String(40), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)

idempotency = Table(
    "idempotency", metadata,
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("response", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
)

PROJECTIONS = (config_versions, bailiffs, claimants, debtors, documents, rounds, bailiff_draw, region_draw, affinity, beacon_anchors)
