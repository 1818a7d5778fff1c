"""What each caller may see: the rows in its scope, and whether it sees personal data."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, true
from sqlalchemy.sql.elements import ColumnElement

from casedraw.api.problems import Problem
from casedraw.services.access import Principal, Role
from casedraw.store import schema

# Roles that see every region (without personal data).
NATIONAL = frozenset({Role.MINISTRY, Role.AUDITOR, Role.OPERATOR})


def regions_of(conn: Connection, principal: Principal) -> set[str] | None:
    """The regions a chamber role acts for; None for national roles (all regions)."""
    if principal.role in NATIONAL:
        return None
    if principal.role is Role.CHAMBER_HEAD:
        b = schema.bailiffs
        return set(conn.execute(select(b.c.region).where(b.c.licence == principal.subject, b.c.chamber_head)).scalars())
    if principal.role in (Role.COMMISSION, Role.CHAMBER):
        m = schema.chamber_members
        role = "commission" if principal.role is Role.COMMISSION else "staff"
        return set(conn.execute(select(m.c.region).where(m.c.member == principal.subject, m.c.role == role, m.c.active)).scalars())
    return set()


def documents_visible(conn: Connection, principal: Principal) -> ColumnElement[bool]:
    d = schema.documents
    if principal.role is Role.CLAIMANT:
        return d.c.claimant_idn == principal.subject
    if principal.role is Role.BAILIFF:
        return d.c.assigned_to == principal.subject
    regions = regions_of(conn, principal)
    return true() if regions is None else d.c.region.in_(sorted(regions))


def sees_personal_data(principal: Principal, row: Any) -> bool:
    """The claimant of a document and the bailiff holding it see who and what; nobody else does."""
    return (principal.role is Role.CLAIMANT and row.claimant_idn == principal.subject) or (
        principal.role is Role.BAILIFF and row.assigned_to == principal.subject)


def visible_document(conn: Connection, principal: Principal, doc: int) -> Any:
    """The document's row if the caller may see it; 404 otherwise (whether it exists is not revealed)."""
    d = schema.documents
    query = select(d).where(d.c.id == doc, documents_visible(conn, principal))
    row = conn.execute(query).one_or_none()
    if row is None:
        raise Problem(404, f"doc: no document {doc} among those you may see")
    return row


def require_region(conn: Connection, principal: Principal, region: str) -> None:
    regions = regions_of(conn, principal)
    if regions is not None and region not in regions:
        raise Problem(403, f"region: {principal.role} {principal.subject} does not act for {region}")
