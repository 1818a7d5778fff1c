"""The words for the closed sets of codes the pages show: one wording per (kind, code), for every page.

Templates write `{{ label("status", d.status) }}` (the environment's `label` is translated in the page's
language); Python code writes `label_for(translator(request), "status", code)`. The codes come from the
domain where it has them (tests/test_web_i18n.py checks every member of those enums is worded here).
The English words are message ids, translated in locale/<lang>/labels.po.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

NONE = "—"


def N_(message: str) -> str:
    """Marks a message for extraction where it is translated later (in a template, or by label_for)."""
    return message


LABELS: Mapping[str, Mapping[str, str]] = {
    # --- documents ---------------------------------------------------------------------------------
    "status": {  # a document's status (store.schema documents.status)
        "registered": N_("Registered, waiting for a round"), "sealed": N_("In a sealed round"),
        "pending": N_("Pending: no bailiff could take it"), "assigned": N_("Assigned to a bailiff"),
        "released": N_("Released for a new draw"), "forwarded": N_("Forwarded to another region"), "closed": N_("Closed"),
    },
    "channel": {  # domain.routing.Channel: who enforces the document
        "pb": N_("Private bailiff, by the draw"), "robot": N_("Robot bailiff (automated enforcement)"), "state": N_("State bailiff"),
    },
    "how": {"draw": N_("By the draw"), "affinity": N_("To the bailiff already enforcing against the same debtor")},
    "claimant_kind": {  # domain.model.ClaimantKind
        "bank": N_("Bank"), "mfo": N_("Microfinance organisation"), "collection_agency": N_("Collection agency"),
        "individual": N_("Individual"), "state_body": N_("State body"),
    },
    "doc_kind": {  # domain.model.DocumentKind
        "writ_of_execution": N_("Writ of execution"), "court_order": N_("Court order"),
        "notary_inscription": N_("Notary's enforcement inscription"), "other": N_("Other enforcement document"),
    },
    "category": {  # domain.model.Category
        "alimony": N_("Alimony"), "recovery_person": N_("Recovery in favour of an individual"),
        "recovery_entity": N_("Recovery in favour of a legal entity"), "state_claim": N_("Recovery in favour of the state"),
        "non_property": N_("Non-property claim"),
    },
    "basis": {  # domain.model.Basis: what ties the enforcement to a region
        "debtor_registration": N_("Debtor's registered address"), "debtor_residence": N_("Debtor's place of residence"),
        "debtor_work": N_("Debtor's place of work"), "registered_location": N_("Debtor organisation's registered office"),
        "actual_location": N_("Debtor organisation's actual location"), "property_location": N_("Location of the debtor's property"),
    },
    "field": {  # the fields of a document (api.schemas.DocumentIn; the upload's columns)
        "claimant_kind": N_("Kind of claimant"), "claimant_idn": N_("Claimant's BIN or IIN"), "claimant_name": N_("Claimant's name"),
        "debtor_idn": N_("Debtor's IIN or BIN"), "debtor_name": N_("Debtor's name or full name"), "doc_kind": N_("Kind of document"),
        "issuing_body": N_("Issued by"), "doc_number": N_("Document number"), "doc_date": N_("Date of the document"),
        "basis": N_("What ties it to the region"), "region": N_("Region"), "category": N_("Category of claim"),
        "amount_kzt": N_("Amount to recover, tenge"), "external_ref": N_("Your own reference"),
        "lodged_with": N_("Lodged with the chamber of another region"),
    },
    "pending": {  # why no bailiff could take a document: draw.engine.Reason, and no bailiff in the region at all
        "no_bailiff_in_region": N_("No private bailiff in the region"), "licence_not_active": N_("Licence not active"),
        "absent": N_("Absent"), "self_suspended": N_("Distribution suspended at own request (paragraph 17)"),
        "conflict_of_interest": N_("Conflict of interest"), "replaced": N_("Replaced on this document (paragraph 12)"),
        "redistributed": N_("The document already left this bailiff"), "specialisation": N_("Lacks the required specialisation"),
        "capacity": N_("At the limit of open proceedings"),
    },
    "job": {"running": N_("Registering"), "done": N_("Finished"), "failed": N_("Stopped by an error")},  # web.uploads.UploadJob.state
    "receipt": {"registration": N_("registration"), "assignment": N_("assignment")},  # what a receipt proves
    # --- proceedings -------------------------------------------------------------------------------
    "stage": {  # domain.proceedings.Stage of an open proceeding (and "moved": the document left the bailiff)
        "assigned": N_("Not acknowledged yet"), "acknowledged": N_("Acknowledged"), "initiated": N_("Proceedings initiated"),
        "suspended": N_("Suspended"), "closed": N_("Closed"), "moved": N_("Moved to another bailiff"),
    },
    "step": {  # domain.proceedings.Step: what a bailiff records (the buttons)
        "acknowledged": N_("Acknowledge"), "initiated": N_("Initiate proceedings"), "recovered": N_("Record a recovery"),
        "suspended": N_("Suspend"), "resumed": N_("Resume"), "closed": N_("Close the proceeding"),
    },
    "closure": {  # analytics.facts.Outcome: how a proceeding ended (domain.proceedings.ClosureReason, or the document moved)
        "recovered": N_("Recovered in full (or executed)"), "returned": N_("Returned to the claimant"),
        "impossible": N_("Recovery impossible"), "withdrawn": N_("Withdrawn by the claimant"),
        "transferred": N_("Transferred to another enforcement body"), "replaced": N_("Replaced under paragraph 12"),
        "redistributed": N_("Released for redistribution"), "forwarded": N_("Forwarded to another region"),
    },
    "overdue": {"acknowledge": N_("Acknowledgement overdue"), "initiate": N_("Initiation overdue")},  # domain.proceedings.Overdue
    # --- procedures --------------------------------------------------------------------------------
    "grounds": {  # domain.procedures.Grounds (paragraph 12)
        "inaction": N_("Inaction: no enforcement action taken"), "missed_deadlines": N_("Missed deadlines"),
        "conflict_of_interest": N_("Conflict of interest"), "misconduct": N_("Misconduct confirmed by a disciplinary or court decision"),
        "other": N_("Other grounds"),
    },
    "application": {"review": N_("Under review"), "granted": N_("Granted: the bailiff is replaced"), "refused": N_("Refused")},
    "decision": {"granted": N_("Grant: replace the bailiff"), "refused": N_("Refuse")},  # domain.procedures.Decision, to choose
    "cause": {  # domain.procedures.ReleaseCause, and a paragraph 12 replacement
        "licence": N_("The bailiff's licence is no longer active"), "transfer": N_("The bailiff moved to another enforcement district"),
        "long_absence": N_("The bailiff's absence exceeded the limit"), "replaced": N_("The bailiff was replaced under paragraph 12"),
    },
    "absence": {"leave": N_("Leave"), "illness": N_("Illness"), "other": N_("Other absence")},  # services.procedures.ABSENCE_KINDS
    "licence": {  # domain.model.LicenceStatus ("unknown": a licence the draw knows but the roster no longer lists)
        "active": N_("Active"), "suspended": N_("Licence suspended"), "terminated": N_("Licence terminated"),
        "revoked": N_("Licence revoked"), "expelled": N_("Expelled from the chamber"), "unknown": N_("Not on the roster"),
    },
    # --- the log, the draw and the configuration ----------------------------------------------------
    "event": {  # ledger.events.EventKind, and the steps of a document's timeline that the tables keep
        "config.set": N_("Configuration version issued"), "bailiff.registered": N_("Bailiff registered"),
        "bailiff.changed": N_("Bailiff's record changed"), "document.registered": N_("Document registered"),
        "beacon.anchor": N_("Randomness anchor published"), "round.sealed": N_("Round sealed"),
        "round.randomness": N_("Round randomness revealed"), "round.drawn": N_("Round drawn"),
        "chamber.member": N_("Chamber member appointed or removed"), "absence.recorded": N_("Absence recorded"),
        "absence.changed": N_("Absence changed"), "absence.cancelled": N_("Absence cancelled"),
        "bailiff.self_suspension": N_("Paragraph 17: distribution suspended or resumed"), "bailiff.licence": N_("Licence event"),
        "bailiff.released": N_("Proceedings released for redistribution"),
        "application.filed": N_("Application to replace the bailiff filed"),
        "application.decided": N_("Application to replace the bailiff decided"),
        "document.forwarded": N_("Document forwarded to another region"), "proceeding.assigned": N_("Assigned to a bailiff"),
        "proceeding.acknowledged": N_("Assignment acknowledged"), "proceeding.initiated": N_("Enforcement proceedings initiated"),
        "proceeding.recovered": N_("Recovery recorded"), "proceeding.suspended": N_("Enforcement proceedings suspended"),
        "proceeding.resumed": N_("Enforcement proceedings resumed"), "proceeding.closed": N_("Enforcement proceedings closed"),
        "history.imported": N_("Past proceedings imported"), "now": N_("Now"),
    },
    "actor": {  # services.access.Role, and who else acts in the log
        "claimant": N_("Claimant"), "bailiff": N_("Private bailiff"), "chamber_head": N_("Chamber head"),
        "chamber": N_("Chamber staff"), "commission": N_("Disciplinary commission"), "ministry": N_("Ministry of Justice"),
        "auditor": N_("Auditor"), "operator": N_("Operator"), "system": N_("The system"), "republican_chamber": N_("Republican Chamber"),
    },
    "config": {"routing": N_("Routing"), "draw": N_("Draw"), "procedures": N_("Procedures")},  # draw.config.CONFIGURATIONS
    "round": {"sealed": N_("Sealed, waiting for randomness"), "drawn": N_("Drawn")},
    "beacon": {"hashchain": N_("Published hash chain"), "drand-quicknet": N_("drand quicknet beacon")},
    # --- statistics (analytics.indicators) ------------------------------------------------------------
    "indicator": {
        "documents": N_("Documents"), "hours_to_draw": N_("Hours from registration to the draw"), "pending": N_("Pending documents"),
        "waiting": N_("Waiting for the next round"), "open": N_("Open proceedings"),
        "days_to_acknowledge": N_("Days to acknowledge"), "days_to_initiation": N_("Days to initiate proceedings"),
        "days_to_closure": N_("Days from initiation to closure"), "recovered_share": N_("Share of the claim recovered"),
        "full_recovery_rate": N_("Full recovery rate"), "late_acknowledgement_rate": N_("Late acknowledgement rate"),
        "late_initiation_rate": N_("Late initiation rate"), "suspended_rate": N_("Proceedings ever suspended"),
        "applications": N_("Paragraph 12 applications"), "application_granted_rate": N_("Applications granted"),
        "decision_working_days": N_("Working days to the commission's decision"), "late_decision_rate": N_("Late decisions"),
        "outcome:recovered": N_("Closed: recovered in full"), "outcome:returned": N_("Closed: returned to the claimant"),
        "outcome:impossible": N_("Closed: recovery impossible"), "outcome:withdrawn": N_("Closed: withdrawn by the claimant"),
        "outcome:transferred": N_("Closed: transferred to another body"), "outcome:replaced": N_("Replaced (paragraph 12)"),
        "outcome:redistributed": N_("Redistributed"), "outcome:forwarded": N_("Forwarded to another region"),
        "pending:no_bailiff_in_region": N_("Pending: no bailiff in the region"),
        "pending:licence_not_active": N_("Pending: licence not active"),
        "pending:absent": N_("Pending: bailiff absent"), "pending:self_suspended": N_("Pending: paragraph 17 self-suspension"),
        "pending:conflict_of_interest": N_("Pending: conflict of interest"), "pending:replaced": N_("Pending: replaced bailiff excluded"),
        "pending:redistributed": N_("Pending: former bailiff excluded"), "pending:specialisation": N_("Pending: specialisation required"),
        "pending:capacity": N_("Pending: capacity reached"),
    },
    "unit": {"hours": N_("hours"), "days": N_("days"), "working_days": N_("working days"), "percent": N_("percent of the claim"),
             "proportion": N_("share"), "count": N_("count")},
    "period": {"before": N_("Before (claimant's choice)"), "after": N_("After (automatic distribution)")},
}


def label_for(gettext: Callable[[str], str], kind: str, value: object) -> str:
    """The words for `value` of the closed set `kind`, translated by `gettext`: an unknown value as it is,
    None (or nothing) as a dash. An unknown kind is a programming error (KeyError)."""
    if value is None or value == "":
        return NONE
    words = LABELS[kind].get(str(value))
    return gettext(words) if words else str(value)
