"""Pages: the public transparency portal, open to anyone without logging in.

How the draw works, every region's loads and its dashboard (loads against fair shares, the draw over
time, processing times before and after automatic distribution, and statistical checks of the
assignments against the published algorithm), checking a receipt against this log's key, and the
public log's downloads. Only what the public API shows: licence numbers, never names or IIN/BIN.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from casedraw.api.deps import store_of
from casedraw.api.problems import Problem
from casedraw.api.routes import public as public_api
from casedraw.api.security import Access
from casedraw.domain.errors import FieldError
from casedraw.domain.regions import REGIONS
from casedraw.draw.engine import VT_PER_WEIGHT
from casedraw.ledger.checkpoint import NoteVerifier
from casedraw.ledger.receipts import ReceiptFacts, ReceiptInvalid, check_receipt
from casedraw.services.access import Principal, Role
from casedraw.store import schema
from casedraw.store.repository import Store
from casedraw.web import charts
from casedraw.web.forms import page_router
from casedraw.web.i18n import Formats
from casedraw.web.labels import N_, label_for
from casedraw.web.pages import language, render, translator

router = page_router()
Public = Annotated[Principal | None, Depends(Access.of(*Role, public=True))]

RECEIPT_LIMIT = 1024 * 1024  # a receipt is a few kilobytes; a million-event log's proof is under 2 kB
FORM_LIMIT = 2 * RECEIPT_LIMIT + 64 * 1024  # the textarea and the file together, with the form's framing
STREAM_BATCH = 5_000  # events read per query while streaming the log
RECENT_ROUNDS = 60  # rounds shown in a region's distribution over time


# --- statistics: chi-square and the checks of a region -----------------------------------------------


def regularized_gamma_q(a: float, x: float) -> float:
    """Q(a, x) = Γ(a, x) / Γ(a), the regularized upper incomplete gamma function (a > 0): a power
    series for P = 1 − Q below x = a + 1, a continued fraction (modified Lentz) for Q above."""
    if a <= 0:
        raise ValueError("a: must be positive")
    if x <= 0:
        return 1.0
    if math.isinf(x):
        return 0.0
    log_prefactor = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(100_000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        return min(1.0, max(0.0, 1.0 - total * math.exp(log_prefactor)))
    tiny = 1e-300
    b = x + 1 - a
    c, d = 1 / tiny, 1 / b
    h = d
    for i in range(1, 100_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-16:
            break
    return min(1.0, max(0.0, math.exp(log_prefactor) * h))


def chi2_sf(x: float, df: int) -> float:
    """P(X ≥ x) for X chi-square distributed with `df` degrees of freedom (the test's p-value)."""
    if df < 1:
        raise ValueError("df: at least 1")
    return regularized_gamma_q(df / 2, x / 2)


@dataclass(frozen=True)
class FitTest:
    """A chi-square goodness-of-fit of weighted loads against fair shares."""

    statistic: float
    df: int
    p_value: float
    dispersion: float  # Σw²/Σw of the documents: loads divided by it are on the scale of document counts
    smallest_expected: float  # in documents (after dividing by the dispersion)


def chi_square_fit(observed: Sequence[float], expected: Sequence[float], dispersion: float = 1.0) -> FitTest | None:
    """Σ (O − E)² / E over the cells, divided by `dispersion`, against chi-square with (cells − 1) degrees
    of freedom. Loads in units of weight vary more than counts of documents do: a document of weight w adds
    w, so for weights the statistic is divided by Σw²/Σw (1 for unit weights: the ordinary test on counts).
    None when there is nothing to test (fewer than two cells with a positive expectation)."""
    cells = [(o, e) for o, e in zip(observed, expected, strict=True) if e > 0]
    if len(cells) < 2 or dispersion <= 0:
        return None
    statistic = math.fsum((o - e) ** 2 / e for o, e in cells) / dispersion
    df = len(cells) - 1
    return FitTest(statistic, df, chi2_sf(statistic, df), dispersion, min(e for _, e in cells) / dispersion)


@dataclass(frozen=True)
class Verdict:
    level: str  # ok, warn, bad, none (the CSS class of the notice)
    text: str  # untranslated (N_)


def fit_verdict(test: FitTest | None) -> Verdict:
    if test is None:
        return Verdict("none", N_("Not enough data for the test: it needs documents held by at least two active bailiffs."))
    if test.p_value < 0.01:
        return Verdict("bad", N_("The loads differ from the fair shares more than chance would explain (p < 0.01). Absences, "
                                 "paragraph 12 replacements, redistributions and closures also move loads; the full replay "
                                 "of the public log (casedraw verify) is the definitive check."))
    if test.p_value < 0.05:
        return Verdict("warn", N_("The loads differ from the fair shares somewhat more than chance would usually explain "
                                  "(p < 0.05). Worth watching over the next rounds."))
    return Verdict("ok", N_("The loads are consistent with the published fair shares: the differences are within what "
                            "chance explains."))


def gap_verdict(gap: float | None, guard: int) -> Verdict:
    if gap is None:
        return Verdict("none", N_("Fewer than two eligible bailiffs: there is no gap to check."))
    if gap <= guard:
        return Verdict("ok", N_("Within the published guard, as the algorithm promises."))
    return Verdict("bad", N_("Above the published guard. The algorithm keeps the gap within the guard unless a document "
                             "could go only to some bailiffs (exclusions, specialisation, capacity); the full replay of the "
                             "public log shows which."))


# --- what the pages read -----------------------------------------------------------------------------


def region_name(code: str, lang: str) -> str:
    region = REGIONS.get(code)
    return region.name(lang) if region is not None else code


def last_event_time(conn: Any, size: int) -> str | None:
    if size <= 0:
        return None
    e = schema.events
    return conn.execute(select(e.c.at).where(e.c.seq == size - 1)).scalar_one_or_none()


def headline(request: Request) -> dict[str, Any]:
    """Figures for the start page: the log, the documents and the rounds, from the public API's helpers."""
    loads = public_api.loads(request, None)
    latest = public_api.rounds(request, None, before=None, limit=1)
    d, r = schema.documents, schema.rounds
    store = store_of(request)
    with store.read() as conn:
        documents = conn.execute(select(func.count()).select_from(d)).scalar_one()
        drawn = conn.execute(select(func.count()).select_from(r).where(r.c.status == "drawn")).scalar_one()
        active = active_bailiffs(store, conn)
    return {
        "documents": documents, "rounds": drawn, "last_round": latest[0] if latest else None,
        "bailiffs": sum(active.values()), "regions": sum(1 for n in active.values() if n),
        "assigned": int(sum(v["assigned"] for v in loads.values())),
        "pending": int(sum(v["pending"] for v in loads.values())),
    }


def active_bailiffs(store: Store, conn: Any) -> dict[str, int]:
    """Active licences on the roster, per region (the summary's other figures, amounts, are not public)."""
    return {region: values.get("bailiffs_active", 0) for region, values in store.region_summary(conn).items()}


def checkpoint_view(request: Request) -> dict[str, Any]:
    """The latest signed checkpoint as /api/v1/log/checkpoint gives it, with the time of its last event."""
    found = public_api.checkpoint(request, None)
    with store_of(request).read() as conn:
        found["at"] = last_event_time(conn, found["size"])
    return found


@dataclass(frozen=True)
class BailiffLoad:
    licence: str
    status: str
    eligible: bool  # active and not self-suspended (paragraph 17)
    share: float  # allocation share (1.0 = a full share)
    load: int  # weighted load: the total weight of the open documents it holds
    documents: int  # open documents
    fair: float | None  # region load × share / total share, among the eligible
    vtime: float | None  # the draw's virtual time, in units of weight per full share, lifted to the floor


def region_loads(store: Store, code: str, roster: Sequence[Mapping[str, Any]]) -> tuple[list[BailiffLoad], float, float]:
    """Each bailiff of the region with its load and fair share; (rows, Σw²/Σw of the open documents, floor)."""
    bd, rd, d = schema.bailiff_draw, schema.region_draw, schema.documents
    with store.read() as conn:
        state = {row.licence: row for row in conn.execute(select(bd.c.licence, bd.c.vtime, bd.c.open_count, bd.c.load)
                                                           .where(bd.c.region == code))}
        floor = conn.execute(select(rd.c.floor).where(rd.c.region == code)).scalar_one_or_none() or 0
        sums = conn.execute(select(func.coalesce(func.sum(d.c.weight), 0), func.coalesce(func.sum(d.c.weight * d.c.weight), 0))
                            .where(d.c.region == code, d.c.status == "assigned")).one()
        suspended = set(conn.execute(select(schema.bailiffs.c.licence).where(
            schema.bailiffs.c.region == code, schema.bailiffs.c.self_suspended.is_(True))).scalars())
    listed = {b["licence"]: b for b in roster}
    licences = sorted(set(listed) | set(state))
    eligible = [lic for lic in licences if lic in listed and listed[lic]["status"] == "active" and lic not in suspended]
    total_share = sum(listed[lic]["share_milli"] for lic in eligible)
    eligible_load = sum(state[lic].load for lic in eligible if lic in state)
    rows = []
    for lic in licences:
        s = state.get(lic)
        share_milli = listed[lic]["share_milli"] if lic in listed else 0
        is_eligible = lic in eligible
        rows.append(BailiffLoad(
            licence=lic, status=listed[lic]["status"] if lic in listed else "unknown", eligible=is_eligible,
            share=share_milli / 1000, load=s.load if s else 0, documents=s.open_count if s else 0,
            fair=eligible_load * share_milli / total_share if is_eligible and total_share else None,
            vtime=max(s.vtime if s else 0, floor) / VT_PER_WEIGHT if is_eligible else None))
    total_weight, total_square = int(sums[0]), int(sums[1])
    return rows, (total_square / total_weight if total_weight else 1.0), floor / VT_PER_WEIGHT


def rounds_in_region(store: Store, code: str, limit: int = RECENT_ROUNDS) -> list[dict[str, Any]]:
    """Documents the draw assigned in the region, per round (newest `limit` rounds, oldest first)."""
    p, d, r = schema.proceedings, schema.documents, schema.rounds
    query = (select(p.c.round, r.c.day, func.count().label("documents"), func.coalesce(func.sum(d.c.weight), 0).label("weight"))
             .join(d, d.c.id == p.c.doc).join(r, r.c.round == p.c.round).where(p.c.region == code)
             .group_by(p.c.round, r.c.day).order_by(p.c.round.desc()).limit(limit))
    with store.read() as conn:
        found = [{"round": row.round, "day": row.day, "documents": row.documents, "weight": int(row.weight)} for row in conn.execute(query)]
    return found[::-1]


def draw_guard(store: Store, day: dt.date | None) -> tuple[int, int, int]:
    """(configuration version, guard G, largest weight) of the draw configuration in force on `day` (newest without one)."""
    with store.read() as conn:
        version, config = store.draw_config(conn, day=day)
    return version, config.guard, config.max_weight


DAY_UNITS = ("days", "hours", "working_days")


def region_statistics(rows: Sequence[Mapping[str, Any]], comparison: Sequence[Mapping[str, Any]], code: str) -> dict[str, Any]:
    """The `casedraw stats` rows of one region: each indicator before and after, and the comparisons."""
    mine = [r for r in rows if r["by"] == "region" and r["group"] == code]
    compared = [r for r in comparison if r["by"] == "region" and r["group"] == code]
    return {"after": [r for r in mine if r["period"] == "after"], "before": [r for r in mine if r["period"] == "before"],
            "compared": compared}


def comparison_charts(compared: Sequence[Mapping[str, Any]], gettext: Callable[[str], str], fmt: Formats) -> list[Any]:
    """Before and after side by side with their 95 % intervals: days in one chart, shares in another."""
    made = []
    before, after = label_for(gettext, "period", "before"), label_for(gettext, "period", "after")
    groups = ((N_("Processing times (days), mean with 95 % confidence interval"), lambda r: r["unit"] in DAY_UNITS),
              (N_("Shares (%), with 95 % confidence interval"), lambda r: r["unit"] not in DAY_UNITS))
    for title, keep in groups:
        chosen = [r for r in compared if keep(r) and r["before_mean"] is not None and r["after_mean"] is not None]
        if not chosen:
            continue
        scale = [100.0 if r["unit"] == "proportion" else 1.0 for r in chosen]
        series = [(before, [r["before_mean"] * k for r, k in zip(chosen, scale, strict=True)]),
                  (after, [r["after_mean"] * k for r, k in zip(chosen, scale, strict=True)])]
        intervals = [[_interval(r, "before", k) for r, k in zip(chosen, scale, strict=True)],
                     [_interval(r, "after", k) for r, k in zip(chosen, scale, strict=True)]]
        made.append({"title": gettext(title), "svg": charts.grouped_bars(
            [label_for(gettext, "indicator", r["indicator"]) for r in chosen], series, intervals=intervals,
            title=gettext(title), description=gettext(N_("The same figures are in the table below.")),
            fmt=lambda v: fmt.number(v, 1), frame=charts.Frame(height=300, bottom=110))})
    return made


def _interval(row: Mapping[str, Any], period: str, scale: float) -> tuple[float, float] | None:
    low, high = row[f"{period}_low"], row[f"{period}_high"]
    return None if low is None or high is None else (low * scale, high * scale)


# --- receipts ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceiptOutcome:
    facts: ReceiptFacts | None
    problem: str | None  # untranslated explanation (N_) of why it does not verify
    technical: str | None  # the check's own words


def verify_receipt_text(text: str, verifier: NoteVerifier, origin: str) -> ReceiptOutcome:
    """Parse and check a receipt against this log's key; say exactly why it does not hold."""
    try:
        receipt = json.loads(text)
    except json.JSONDecodeError as exc:
        return ReceiptOutcome(None, N_("This is not valid JSON. Paste the receipt file's whole content, unchanged."), str(exc))
    if not isinstance(receipt, dict):
        return ReceiptOutcome(None, N_("A receipt is a JSON object; this is another kind of JSON value."), type(receipt).__name__)
    try:
        return ReceiptOutcome(check_receipt(receipt, verifier, origin), None, None)
    except ReceiptInvalid as exc:
        return ReceiptOutcome(None, _explain(str(exc)), str(exc))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a field of the wrong type after the proof held
        explained = N_("The receipt is malformed: a field is missing or has the wrong type.")
        return ReceiptOutcome(None, explained, f"{type(exc).__name__}: {exc}")


def _explain(reason: str) -> str:
    if reason.startswith("format:"):
        return N_("This is not a casedraw receipt (its format is not casedraw-receipt/1).")
    if "signature" in reason:
        return N_("The checkpoint's signature does not verify with this log's public key: the receipt was altered, or it was "
                  "signed by another log.")
    if "origin" in reason:
        return N_("The checkpoint belongs to another log (its origin line differs).")
    if reason.startswith("malformed"):
        return N_("The receipt is malformed: a field is missing, has the wrong type, or the checkpoint text was changed.")
    if "outside the checkpoint" in reason:
        return N_("The log index is outside the signed checkpoint.")
    if "not in the signed log" in reason:
        return N_("Inclusion proof mismatch: the event is not in the signed log at that index. The event or the proof was "
                  "altered, or the receipt comes from another log.")
    if "commitment" in reason:
        return N_("The private part does not open the commitment in the log: it was altered.")
    return N_("The event in the log does not show what the receipt claims (another document, or another kind of event).")


# --- pages -------------------------------------------------------------------------------------------


@router.get("/")
def home(request: Request, _: Public) -> Response:
    return render(request, "public/home.html", {"checkpoint": checkpoint_view(request), "figures": headline(request)})


@router.get("/regions")
def regions(request: Request, _: Public) -> Response:
    lang = language(request)
    loads = public_api.loads(request, None)
    store = store_of(request)
    with store.read() as conn:
        active = active_bailiffs(store, conn)
    empty = {"bailiffs": 0, "assigned": 0, "pending": 0, "min_load": 0.0, "max_load": 0.0}
    codes = sorted(REGIONS, key=lambda c: region_name(c, lang))
    codes += sorted((set(loads) | set(active)) - set(REGIONS))  # a region the roster uses but regions.json lacks
    listed = []
    for code in codes:
        values = loads.get(code, empty)
        # "bailiffs" of the loads: the active ones the draw holds a state for (they have received documents)
        spread = values["max_load"] - values["min_load"] if values["bailiffs"] >= 2 else None
        listed.append({"code": code, "name": region_name(code, lang), "spread": spread, "active": active.get(code, 0), **values})
    return render(request, "public/regions.html", {"regions": listed})


@router.get("/regions/{code}")
def region_dashboard(code: str, request: Request, _: Public) -> Response:
    store = store_of(request)
    lang = language(request)
    gettext = translator(request)
    fmt = Formats(lang)
    roster = public_api.bailiffs(request, None, region=code)
    if code not in REGIONS and not roster:
        raise Problem(404, gettext(N_("There is no region with this code.")))
    rows, dispersion, floor = region_loads(store, code, roster)
    eligible = [r for r in rows if r.eligible]
    test = chi_square_fit([r.load for r in eligible], [r.fair or 0.0 for r in eligible], dispersion)
    latest = public_api.rounds(request, None, before=None, limit=1)
    version, guard, max_weight = draw_guard(store, latest[0]["day"] if latest else None)
    vtimes = [r.vtime for r in eligible if r.vtime is not None]
    gap = max(vtimes) - min(vtimes) if len(vtimes) >= 2 else None
    per_share = [r.load / r.share for r in eligible if r.share]
    load_spread = max(per_share) - min(per_share) if len(per_share) >= 2 else None
    over_time = rounds_in_region(store, code)
    _size, indicator_rows, comparison = request.app.state.statistics.current()
    stats = region_statistics(indicator_rows, comparison, code)

    number = lambda v: fmt.number(v, 1)  # noqa: E731 - a formatter handed to the charts
    load_chart = charts.grouped_bars(
        [r.licence for r in eligible], [(gettext(N_("Weighted load")), [r.load for r in eligible]),
                                        (gettext(N_("Fair share")), [r.fair for r in eligible])],
        title=gettext(N_("Weighted load of each eligible bailiff against its fair share")),
        description=gettext(N_("The same figures are in the table below.")), fmt=number,
        frame=charts.Frame(width=charts.width_for(2 * len(eligible), per=8), height=300, bottom=90)) if eligible else None
    gap_chart = charts.bars(
        [(r.licence, (r.vtime or 0.0) - min(vtimes)) for r in eligible], fmt=number, reference=(guard, gettext(N_("Guard"))),
        title=gettext(N_("Each eligible bailiff's virtual time above the lowest, in units of weight per full share")),
        description=gettext(N_("The same figures are in the table above.")),
        frame=charts.Frame(width=charts.width_for(len(eligible), per=8), height=260, bottom=90)) if len(vtimes) >= 2 else None
    time_chart = charts.lines(
        [fmt.date(r["day"], "short") for r in over_time],
        [(gettext(N_("Documents assigned")), [r["documents"] for r in over_time]),
         (gettext(N_("Their total weight")), [r["weight"] for r in over_time])],
        title=gettext(N_("Documents assigned in the region per round")),
        description=gettext(N_("The same figures are in the table below.")), fmt=lambda v: fmt.number(v, 0)) if over_time else None
    return render(request, "public/region.html", {
        "code": code, "name": region_name(code, lang), "rows": rows, "eligible": eligible,
        "region_load": sum(r.load for r in rows), "eligible_load": sum(r.load for r in eligible),
        "test": test, "fit": fit_verdict(test), "dispersion": dispersion,
        "gap": gap, "guard": guard, "max_weight": max_weight, "config_version": version, "gap_verdict": gap_verdict(gap, guard),
        "floor": floor, "load_spread": load_spread, "over_time": over_time, "stats": stats,
        "load_chart": load_chart, "gap_chart": gap_chart, "time_chart": time_chart,
        "comparison_charts": comparison_charts(stats["compared"], gettext, fmt),
    })


def _verify_context(request: Request, text: str = "", outcome: ReceiptOutcome | None = None,
                    errors: Sequence[FieldError] = ()) -> dict[str, Any]:
    published = request.app.state.published
    return {"text": text, "outcome": outcome, "errors": list(errors), "detail": "", "verifier_key": published.signer.verifier_key(),
            "limit": RECEIPT_LIMIT}


@router.get("/verify")
def verify_form(request: Request, _: Public) -> Response:
    return render(request, "public/verify.html", _verify_context(request))


@router.post("/verify")
async def verify_post(request: Request, _: Public) -> Response:
    """A receipt pasted or uploaded; the answer is shown at once (nothing changes, so nothing to redirect to)."""
    gettext = translator(request)
    too_large = FieldError("file", gettext(N_("the receipt is larger than 1 MB; a receipt is a few kilobytes")))
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > FORM_LIMIT:
        return render(request, "public/verify.html", _verify_context(request, errors=[too_large]), status=413)
    try:
        form = await request.form(max_files=1, max_fields=8, max_part_size=RECEIPT_LIMIT + 1)
    except StarletteHTTPException:
        return render(request, "public/verify.html", _verify_context(request, errors=[too_large]), status=413)
    pasted = form.get("receipt")
    text = pasted if isinstance(pasted, str) else ""
    upload = form.get("file")
    if isinstance(upload, UploadFile) and upload.filename:
        try:
            raw = await upload.read(RECEIPT_LIMIT + 1)
        finally:
            await form.close()
        if len(raw) > RECEIPT_LIMIT:
            return render(request, "public/verify.html", _verify_context(request, text, errors=[too_large]), status=413)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            error = FieldError("file", gettext(N_("the file is not UTF-8 text: choose the receipt's .json file")))
            return render(request, "public/verify.html", _verify_context(request, text, errors=[error]), status=422)
    if len(text.encode()) > RECEIPT_LIMIT:
        return render(request, "public/verify.html", _verify_context(request, errors=[too_large]), status=413)
    if not text.strip():
        error = FieldError("receipt", gettext(N_("paste a receipt, or choose its file")))
        return render(request, "public/verify.html", _verify_context(request, text, errors=[error]), status=422)
    published = request.app.state.published
    verifier = NoteVerifier.from_vkey(published.signer.verifier_key())
    outcome = await run_in_threadpool(verify_receipt_text, text, verifier, published.origin)
    if outcome.facts is None:
        return render(request, "public/verify.html", _verify_context(request, text, outcome), status=422)
    return render(request, "public/verify.html", _verify_context(request, "", outcome))


@router.get("/log")
def log_page(request: Request, _: Public) -> Response:
    return render(request, "public/log.html", _log_context(request))


def _log_context(request: Request, values: Mapping[str, str] | None = None, errors: Sequence[FieldError] = ()) -> dict[str, Any]:
    found = checkpoint_view(request)
    size = found["size"]
    return {"checkpoint": found, "values": values or {"start": "0", "count": "", "size": str(size)}, "errors": list(errors),
            "detail": ""}


def _attachment(filename: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"}


@router.get("/log/checkpoint")
def log_checkpoint(request: Request, _: Public, size: str | None = None) -> Response:
    """The signed checkpoint (C2SP signed note) of the log now, or of its first `size` events."""
    published = request.app.state.published
    wanted = _whole(size, "size", minimum=0) if size not in (None, "") else None
    if isinstance(wanted, FieldError):
        raise Problem(422, str(wanted))
    _cp, note = published.checkpoint(public_api._sized(request, wanted) if wanted is not None else None)
    return Response(note, media_type="text/plain; charset=utf-8", headers=_attachment("checkpoint"))


@router.get("/log/key")
def log_key(request: Request, _: Public) -> Response:
    key = request.app.state.published.signer.verifier_key()
    return Response(key + "\n", media_type="text/plain; charset=utf-8", headers=_attachment("log.vkey"))


def _whole(text: str | None, field: str, minimum: int) -> int | FieldError:
    value = (text or "").strip()
    if not value.isdigit() or len(value) > 18:
        return FieldError(field, f"a whole number of at least {minimum}")
    number = int(value)
    return number if number >= minimum else FieldError(field, f"a whole number of at least {minimum}")


@router.get("/log/entries.jsonl")
def log_entries(request: Request, _: Public, start: str = "0", count: str = "", size: str = "") -> Response:
    """Event bodies as JSON Lines, exactly the bytes the Merkle leaves hash (the export's log.jsonl): from `start`,
    `count` of them (all by default), within the first `size` events (the log now by default)."""
    gettext = translator(request)
    current = request.app.state.published.refresh()
    parsed = {"start": _whole(start, "start", 0),
              "count": _whole(count, "count", 1) if count.strip() else None,
              "size": _whole(size, "size", 0) if size.strip() else current}
    errors = [FieldError(v.field, gettext(N_("a whole number of at least %(n)d")) % {"n": 1 if v.field == "count" else 0})
              for v in parsed.values() if isinstance(v, FieldError)]
    if not errors and parsed["size"] > current:  # type: ignore[operator]
        errors.append(FieldError("size", gettext(N_("the log has %(n)d events")) % {"n": current}))
    if not errors and parsed["start"] > parsed["size"]:  # type: ignore[operator]
        errors.append(FieldError("start", gettext(N_("must not be beyond the size (%(n)d)")) % {"n": parsed["size"]}))
    if errors:
        values = {"start": start, "count": count, "size": size}
        return render(request, "public/log.html", _log_context(request, values, errors), status=422)
    first, end = int(parsed["start"]), int(parsed["size"])  # type: ignore[arg-type]
    if parsed["count"] is not None:
        end = min(end, first + int(parsed["count"]))  # type: ignore[arg-type]
    store = store_of(request)

    def lines() -> Iterator[bytes]:
        position = first
        while position < end:
            with store.read() as conn:
                bodies = public_api.entry_bodies(conn, position, min(STREAM_BATCH, end - position))
            if not bodies:
                return
            yield b"".join(body + b"\n" for body in bodies)
            position += len(bodies)

    name = "log.jsonl" if first == 0 else f"log-{first}-{end}.jsonl"
    headers = {**_attachment(name), "X-Log-Start": str(first), "X-Log-End": str(end)}
    return StreamingResponse(lines(), media_type="application/jsonl; charset=utf-8", headers=headers)

