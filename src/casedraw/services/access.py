"""Who may call the HTTP API: machine clients' tokens, people's accounts and sessions.

A caller becomes a Principal: a role and a subject (the claimant's IDN, the bailiff's licence, the
commission member's account id, ...). The services decide the fine rules with the Actor a
Principal acts as; the API decides, per endpoint and deny by default, which roles may call it.

Secrets are shown once and stored only as hashes: tokens are 256 random bits, so SHA-256 is enough;
people choose passwords, so those get scrypt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, insert, select, update

from casedraw.domain.identifiers import validate_idn
from casedraw.ledger.events import Actor, format_time
from casedraw.store import schema
from casedraw.store.repository import Store


class Role(StrEnum):
    CLAIMANT = "claimant"  # a bank or microfinance organisation: its own documents
    BAILIFF = "bailiff"  # a private bailiff: documents assigned to it
    CHAMBER_HEAD = "chamber_head"  # head of a regional chamber (also a bailiff): the region; own para 17
    CHAMBER = "chamber"  # chamber staff: absences in the region
    COMMISSION = "commission"  # disciplinary commission member: the region's para 12 applications
    MINISTRY = "ministry"  # Ministry of Justice administrator: configuration versions, roster, licences
    AUDITOR = "auditor"  # read-only, no personal data
    OPERATOR = "operator"  # runs rounds (the scheduler's account)


TOKEN_PREFIX = "cdw"
DEFAULT_RATE = 50  # requests per second per token
SESSION_HOURS = 12
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AccessRefused(ValueError):
    """Bad credentials, or a request to create access that does not make sense."""


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    subject: str
    credential: str  # token or session id: the rate-limit and log key, never the secret
    rate: int = DEFAULT_RATE

    @property
    def actor(self) -> Actor:
        return Actor(str(self.role), self.subject)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    id: str
    token: str  # shown once


def _now() -> str:
    return format_time(dt.datetime.now(dt.UTC))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _split(token: str) -> tuple[str, str] | None:
    prefix, _, rest = token.partition("_")
    ident, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or len(ident) != 16 or not secret:
        return None
    return ident, secret


def _new_secret() -> tuple[str, str, str]:
    ident, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    return ident, secret, f"{TOKEN_PREFIX}_{ident}_{secret}"


def _check_identifier(field: str, value: str) -> None:
    if not value or len(value) > 64 or not value.isprintable() or " " in value:
        raise AccessRefused(f"{field}: 1 to 64 printable characters without spaces")


def check_subject(role: str, subject: str) -> Role:
    """The role, if the subject is the kind of identifier that role is known by."""
    try:
        known = Role(role)
    except ValueError:
        raise AccessRefused(f"role: {role!r} is not one of {', '.join(Role)}") from None
    _check_identifier("subject", subject)
    if known is Role.CLAIMANT and (errors := validate_idn(subject, "subject")[2]):
        raise AccessRefused(f"{errors[0]} (a claimant is known by its IIN or BIN)")
    return known


def create_token(store: Store, role: str, subject: str, label: str, *, rate: int = DEFAULT_RATE, days: int | None = None) -> IssuedToken:
    known = check_subject(role, subject)
    if not 1 <= rate <= 100_000:
        raise AccessRefused("rate: 1 to 100000 requests per second")
    ident, secret, token = _new_secret()
    now = dt.datetime.now(dt.UTC)
    expires = None if days is None else format_time(now + dt.timedelta(days=days))
    with store.engine.begin() as conn:
        conn.execute(insert(schema.api_tokens).values(
            id=ident, secret_hash=_digest(secret), role=str(known), subject=subject, label=label[:200],
            rate=rate, created_at=format_time(now), expires_at=expires, revoked_at=None,
        ))
    return IssuedToken(ident, token)


def revoke_token(store: Store, ident: str) -> None:
    t = schema.api_tokens
    with store.engine.begin() as conn:
        done = conn.execute(update(t).where(t.c.id == ident, t.c.revoked_at.is_(None)).values(revoked_at=_now())).rowcount
    if not done:
        raise AccessRefused(f"token: {ident} does not exist or is already revoked")


def list_tokens(store: Store) -> list[dict[str, object]]:
    t = schema.api_tokens
    with store.read() as conn:
        rows = conn.execute(select(t.c.id, t.c.role, t.c.subject, t.c.label, t.c.rate, t.c.created_at, t.c.expires_at, t.c.revoked_at)
                            .order_by(t.c.created_at)).all()
    return [dict(row._mapping) for row in rows]


def authenticate_token(store: Store, token: str) -> Principal | None:
    """The principal a bearer token stands for: an API token or a login session."""
    parts = _split(token)
    if parts is None:
        return None
    ident, secret = parts
    now = _now()
    with store.read() as conn:
        t = schema.api_tokens
        row = conn.execute(select(t).where(t.c.id == ident)).one_or_none()
        if row is not None:
            if not hmac.compare_digest(row.secret_hash, _digest(secret)) or row.revoked_at or (row.expires_at and row.expires_at <= now):
                return None
            return Principal(Role(row.role), row.subject, f"token:{ident}", row.rate)
        s, a = schema.sessions, schema.accounts
        row = conn.execute(select(s.c.secret_hash, s.c.expires_at, s.c.revoked_at, a.c.role, a.c.subject, a.c.active)
                           .join(a, a.c.username == s.c.username).where(s.c.id == ident)).one_or_none()
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)) or row.revoked_at or row.expires_at <= now or not row.active:
        return None
    return Principal(Role(row.role), row.subject, f"session:{ident}")


# --- people ----------------------------------------------------------------------


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    derived = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${derived.hex()}"


def _password_matches(password: str, stored: str) -> bool:
    _, n, r, p, salt, expected = stored.split("$")
    derived = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(derived.hex(), expected)


# Compared against when the username is unknown, so a wrong name costs as long as a wrong password: the
# same scrypt is computed, against a result no password gives (written out, not computed at every start).
_DUMMY_HASH = f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${'00' * 16}${'00' * 32}"


def create_account(store: Store, username: str, password: str, role: str, subject: str) -> None:
    known = check_subject(role, subject)
    _check_identifier("username", username)
    if len(password) < 12:
        raise AccessRefused("password: at least 12 characters")
    a = schema.accounts
    with store.engine.begin() as conn:
        if conn.execute(select(a.c.username).where(a.c.username == username)).first() is not None:
            raise AccessRefused(f"username: {username} already exists")
        conn.execute(insert(a).values(username=username, password_hash=hash_password(password), role=str(known),
                                      subject=subject, active=True, created_at=_now()))


def disable_account(store: Store, username: str) -> None:
    a, s = schema.accounts, schema.sessions
    with store.engine.begin() as conn:
        if not conn.execute(update(a).where(a.c.username == username, a.c.active.is_(True)).values(active=False)).rowcount:
            raise AccessRefused(f"username: {username} does not exist or is already disabled")
        conn.execute(update(s).where(s.c.username == username, s.c.revoked_at.is_(None)).values(revoked_at=_now()))


def log_in(store: Store, username: str, password: str) -> tuple[str, str]:
    """A new session token and its expiry for the right password; AccessRefused otherwise.

    Five wrong passwords in a row lock the account for 15 minutes, and each wrong one after a lock ends
    for twice as long as the last (at most a day); while locked even the right password is refused. Every refusal says
    the same and takes as long, so it tells nobody whether the name exists or the account is locked."""
    a = schema.accounts
    now = dt.datetime.now(dt.UTC)
    with store.read() as conn:
        row = conn.execute(select(a.c.password_hash, a.c.active, a.c.locked_until).where(a.c.username == username)).one_or_none()
    matches = _password_matches(password, row.password_hash if row is not None else _DUMMY_HASH)
    if row is None:
        raise AccessRefused(_WRONG)
    locked = row.locked_until is not None and row.locked_until > format_time(now)
    if not matches and not locked:  # guesses during a lock don't lengthen it: nobody can keep an account shut
        _count_failure(store, username, now)
    if locked or not matches or not row.active:
        raise AccessRefused(_WRONG)
    ident, secret, token = _new_secret()
    expires = format_time(now + dt.timedelta(hours=SESSION_HOURS))
    with store.engine.begin() as conn:
        _clear_failures(conn, username)
        conn.execute(insert(schema.sessions).values(id=ident, secret_hash=_digest(secret), username=username,
                                                    created_at=format_time(now), expires_at=expires, revoked_at=None))
    return token, expires


_WRONG = "username or password is wrong, or the account is locked after too many wrong passwords"
LOCK_AFTER = 5  # wrong passwords in a row
LOCK_FIRST = dt.timedelta(minutes=15)
LOCK_LONGEST = dt.timedelta(days=1)


def lockout(failures: int) -> dt.timedelta | None:
    """How long an account is locked after this many wrong passwords in a row."""
    if failures < LOCK_AFTER:
        return None
    return min(LOCK_FIRST * 2 ** min(failures - LOCK_AFTER, 16), LOCK_LONGEST)


def _count_failure(store: Store, username: str, now: dt.datetime) -> None:
    a = schema.accounts
    with store.engine.begin() as conn:  # one statement counts, so concurrent guesses are all counted
        failures = conn.execute(update(a).where(a.c.username == username).values(failed_logins=a.c.failed_logins + 1)
                                .returning(a.c.failed_logins)).scalar_one()
        if (locked_for := lockout(failures)) is not None:
            conn.execute(update(a).where(a.c.username == username).values(locked_until=format_time(now + locked_for)))


def unlock_account(store: Store, username: str) -> None:
    """Lift a lockout (an operator, once the person is known to be who they say)."""
    with store.engine.begin() as conn:
        if not _clear_failures(conn, username):
            raise AccessRefused(f"username: {username} does not exist")


def _clear_failures(conn: Connection, username: str) -> int:
    """Forget an account's wrong passwords and lift its lock; how many accounts that was (0 or 1)."""
    a = schema.accounts
    return conn.execute(update(a).where(a.c.username == username).values(failed_logins=0, locked_until=None)).rowcount


def log_out(store: Store, principal: Principal) -> None:
    kind, _, ident = principal.credential.partition(":")
    if kind == "session":
        s = schema.sessions
        with store.engine.begin() as conn:
            conn.execute(update(s).where(s.c.id == ident, s.c.revoked_at.is_(None)).values(revoked_at=_now()))
