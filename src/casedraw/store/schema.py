"""Tables. `events` is the system of record; every other table is a projection
of it (rebuilt by replaying the log), except the operational records no draw
reads: `idempotency` (answers already given to machine clients) and the access
tables (`api_tokens`, `accounts`, `sessions`) of the HTTP API."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, Integer, LargeBinary, MetaData, String, Table, Text, text

metadata = MetaData()

# On SQLite only a column declared exactly INTEGER is the table's rowid; any other key is an index
# beside the table, written again with every row (migration 0009).
ROWID = BigInteger().with_variant(Integer(), "sqlite")
# Tables keyed by text or by two columns that grow with the documents: stored in their key's B-tree.
KEYED = {"sqlite_with_rowid": False}

events = Table(
    "events", metadata,
    Column("seq", ROWID, primary_key=True, autoincrement=False),  # log index, from 0
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
    Column("effective", Date, nullable=False),  # in force for days from this one until the next version's
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
    Column("self_suspended", Boolean, nullable=False),  # paragraph 17, by the chamber head for himself
    Column("registered_seq", BigInteger, nullable=False),
    Column("updated_seq", BigInteger, nullable=False),
)

claimants = Table(
    "claimants", metadata,
    Column("idn", String(12), primary_key=True),
    Column("type", String(8), nullable=False),
    Column("kind", String(24), nullable=False),
    Column("name", String(200), nullable=False),
    **KEYED,
)

documents = Table(
    "documents", metadata,
    Column("id", ROWID, primary_key=True, autoincrement=False),
    Column("identity", String(64), nullable=False, unique=True),
    Column("seq", BigInteger, nullable=False),
    Column("registered_at", String(32), nullable=False),
    Column("claimant_idn", String(12), nullable=False, index=True),
    Column("claimant_kind", String(24), nullable=False),
    Column("debtor_idn", String(12), nullable=False),  # not indexed: nothing looks documents up by debtor
    Column("debtor_name", String(200), nullable=False, server_default=""),  # as the document names the debtor
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
    Column("pending_reasons", Text),  # canonical JSON [[reason, bailiffs], ...] while nobody is eligible
    Column("recovered_bp", Integer, nullable=False),  # share of the claim recovered, basis points (public)
    Column("recovered_tiyn", BigInteger, nullable=False),  # the amount recovered (private)
    Index("ix_documents_status_region_channel", "status", "region", "channel"),  # waiting documents; a region's by status
    # A bailiff's documents in the order they came (its portfolio, its pages), each with its debtor key:
    # whether it holds another open proceeding against a debtor (affinity ends with the last), and the
    # keys of a bailiff who leaves the draw. Ordered by id, not by key, so a round's documents go to the
    # end of each bailiff's range, not to random places among its thousands (migration 0013). Only drawn ones.
    Index("ix_documents_assigned_to_id_affinity", "assigned_to", "id", "affinity",
          sqlite_where=text("assigned_to IS NOT NULL"), postgresql_where=text("assigned_to IS NOT NULL")),
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

# Where each debtor's documents go (section 10.3). Written for most new documents, so laid out for
# national volume: entries in the order they are made (migration 0011), the key's unique index beside
# them, the one random place an entry goes. No index by licence (migration 0012): a bailiff who leaves
# the draw loses the entries of its documents' keys (projections._affinity_left). The key alone is
# unique: it is an HMAC of the region with the debtor, so two regions never share one (docs/ALGORITHM.md, 6.3).
affinity = Table(
    "affinity", metadata,
    Column("region", String(8), nullable=False),
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

# Statuses of a private-bailiff document that the next round seals: new, left pending by a round
# (nobody eligible), released from a bailiff's portfolio, or forwarded from another region.
WAITING = ("registered", "pending", "released", "forwarded")

# --- procedures around the draw ---------------------------------------------

chamber_members = Table(
    "chamber_members", metadata,
    Column("region", String(8), primary_key=True),
    Column("member", String(64), primary_key=True),
    Column("role", String(16), primary_key=True),  # commission, staff
    Column("active", Boolean, nullable=False),
    Column("seq", BigInteger, nullable=False),
)

absences = Table(
    "absences", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("licence", String(32), nullable=False, index=True),
    Column("start", Date, nullable=False),
    Column("end", Date, nullable=False),
    Column("kind", String(16), nullable=False),  # leave, illness, other (private)
    Column("note", Text, nullable=False),
    Column("cancelled", Boolean, nullable=False),
    Column("entered_by", String(80), nullable=False),
    Column("seq", BigInteger, nullable=False),  # the last event that set it
)

applications = Table(
    "applications", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("doc", BigInteger, nullable=False, index=True),
    Column("licence", String(32), nullable=False),
    Column("region", String(8), nullable=False, index=True),
    Column("grounds", String(24), nullable=False),
    Column("statement", Text, nullable=False),  # the claimant's grounds in words (private)
    Column("references", Text, nullable=False),  # canonical JSON list of attached decisions (private)
    Column("deadline", Date, nullable=False),
    Column("filed_at", String(32), nullable=False),
    Column("filed_seq", BigInteger, nullable=False),
    Column("status", String(12), nullable=False),  # review, granted, refused
    Column("decided_at", String(32)),
    Column("decided_by", String(64)),
    Column("reference", String(200)),
    Column("reasons", Text),
    Column("decided_seq", BigInteger),
)

# Every time a document left a bailiff or a region: para 12, redistribution, territoriality.
document_moves = Table(
    "document_moves", metadata,
    Column("doc", BigInteger, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("cause", String(24), nullable=False),  # replaced, licence, transfer, long_absence, territoriality
    Column("licence", String(32)),  # the bailiff it left, if it had one
    Column("to_region", String(8)),  # for territoriality
    **KEYED,
)

# Bailiffs a document must not go to again, with why; the seal carries them.
document_exclusions = Table(
    "document_exclusions", metadata,
    Column("doc", BigInteger, primary_key=True, autoincrement=False),
    Column("licence", String(32), primary_key=True),
    Column("reason", String(24), nullable=False),
    **KEYED,
)


# --- proceedings after the draw ----------------------------------------------

# One bailiff's tenure of one document: from the round that assigned it until closed or moved.
proceedings = Table(
    "proceedings", metadata,
    Column("doc", BigInteger, primary_key=True, autoincrement=False),
    Column("round", BigInteger, primary_key=True, autoincrement=False),
    Column("licence", String(32), nullable=False, index=True),
    Column("region", String(8), nullable=False),
    Column("open", Boolean, nullable=False),
    Column("stage", String(16), nullable=False),  # assigned, acknowledged, initiated, suspended, closed, moved
    Column("assigned_at", String(32), nullable=False),
    Column("acknowledge_by", Date, nullable=False),
    Column("initiate_by", Date, nullable=False),
    Column("acknowledged_at", String(32)),
    Column("initiated_at", String(32)),
    Column("resolution", String(200)),  # the number of the resolution initiating proceedings (private)
    Column("suspensions", Integer, nullable=False),
    Column("ended_at", String(32)),
    Column("outcome", String(16)),  # closure reason, or replaced, redistributed, forwarded
    Column("recovered_bp", Integer, nullable=False),  # closed by the bailiff: the document's share at closure
    Column("note", Text),  # the bailiff's note on closure (private)
    Index("ix_proceedings_stage", "stage"),  # the few not yet initiated: overdue checks
    **KEYED,
)

# Proceedings from before automatic distribution, imported for comparison (`casedraw history import`).
# A projection like the others: the records enter the log as `history.imported` (public part and commitment).
history = Table(
    "history", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("source_ref", String(64), nullable=False, unique=True),  # the source's record number (private)
    Column("region", String(8), nullable=False),
    Column("claimant_kind", String(24), nullable=False),
    Column("licence", String(32), nullable=False),
    Column("lodged", Date, nullable=False),
    Column("initiated", Date),
    Column("closed", Date),
    Column("outcome", String(16)),
    Column("amount_tiyn", BigInteger, nullable=False),  # private; only the share below is published
    Column("recovered_tiyn", BigInteger, nullable=False),
    Column("recovered_bp", Integer, nullable=False),
    Column("seq", BigInteger, nullable=False),
)

PROJECTIONS = (
    config_versions, bailiffs, claimants, documents, rounds, bailiff_draw, region_draw, affinity, beacon_anchors,
    chamber_members, absences, applications, document_moves, document_exclusions, proceedings, history,
)


# --- access to the HTTP API (operational; never logged, never published) ----------

# Machine clients' bearer tokens. Only a SHA-256 of the secret part is kept: a token is 256 random
# bits, so a fast hash is as good as a slow one, and a stolen table opens nothing.
api_tokens = Table(
    "api_tokens", metadata,
    Column("id", String(16), primary_key=True),  # the public part, shown in listings and logs
    Column("secret_hash", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("subject", String(64), nullable=False),  # claimant IDN, bailiff licence, member id, ...
    Column("label", String(200), nullable=False),
    Column("rate", Integer, nullable=False),  # requests per second allowed (burst: twice that)
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32)),
    Column("revoked_at", String(32)),
)

# People who log in with a password (the web pages); scrypt hashes only.
accounts = Table(
    "accounts", metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("subject", String(64), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),  # wrong passwords since the last right one
    Column("locked_until", String(32)),  # no login before this time, even with the right password
)

sessions = Table(
    "sessions", metadata,
    Column("id", String(16), primary_key=True),
    Column("secret_hash", String(64), nullable=False),
    Column("username", String(64), nullable=False, index=True),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("revoked_at", String(32)),
)
