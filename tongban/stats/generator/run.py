"""The generation loop: day by day, applications → cases → events, in time order.

Each day's applications are drawn first; every case's whole path is simulated on receipt
and its events are put in the bucket of the day they happen. When a day is done its bucket
is sorted by time and numbered, so audit `seq` follows time as in a real run (a case's own
events keep their order on equal times). Events after the end of the period are never
written: those cases are still open.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Max

from tongban.cases.models import Application, Case
from tongban.core.audit import DEFAULT_CHAIN, GENESIS_HASH
from tongban.core.models import AuditChainHead

from .bulkload import bulk_load
from .calendar import DAY, FastCalendar
from .lifecycle import CaseLife, Simulator
from .people import Applicant, ProvisionPool, applicant_pool
from .volume import (
    BUNDLE_SHARE,
    CHANNELS,
    Picker,
    bundle_order,
    channel_weights,
    day_weights,
    item_order,
    zipf,
)
from .world import REGION_WEIGHTS, BundleInfo, ItemInfo, World, build_world
from .writer import NULL, finish, load_sequences, make_sink, save_sequences

# Online submissions by hour of the day (local): office hours and evenings.
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 6, 9, 10, 9, 6, 6, 8, 9, 9, 8, 6, 6, 7, 7, 5, 3]
CHANNEL_STEPS = 20
# (time, order, action, object type, object id, before, after, channel)
Event = tuple[int, int, str, str, str, str, str, str]


@dataclass
class Summary:
    cases: int = 0
    applications: int = 0
    events: int = 0
    specials: int = 0
    states: Counter[str] = field(default_factory=Counter)
    first_seq: int = 0
    last_seq: int = 0
    elapsed: float = 0.0


@dataclass
class Options:
    cases: int
    seed: int = 1
    start: datetime.date = datetime.date(2024, 1, 1)
    end: datetime.date = datetime.date(2026, 11, 20)
    batch: int = 200_000
    pool: int = 3000  # applicants per region and kind
    bulk: bool = False  # PostgreSQL: drop secondary indexes during the load (bulkload.py)


class Generator:
    def __init__(self, world: World, options: Options, say: Callable[[str], None]) -> None:
        self.world, self.o, self.say = world, options, say
        self.rng = rng = random.Random(options.seed)
        self.first, self.last = options.start.toordinal(), options.end.toordinal()
        self.fc = FastCalendar(
            options.start - datetime.timedelta(days=40), options.end + datetime.timedelta(days=500)
        )
        self.sim = Simulator(self.fc, rng, (self.last + 1) * DAY)
        self.sink = make_sink()
        self.summary = Summary()
        self.buckets: dict[int, list[Event]] = defaultdict(list)
        self.order = 0
        self.counters = load_sequences()
        self.next_app = (Application.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.next_case = (Case.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        head, _ = AuditChainHead.objects.get_or_create(
            chain=DEFAULT_CHAIN, defaults={"last_seq": 0, "last_hash": GENESIS_HASH}
        )
        self.seq, self.prev_hash = head.last_seq, head.last_hash
        self.summary.first_seq = head.last_seq + 1
        self.user = str(world.user_id)

        regions = world.regions
        self.region = Picker(rng, regions, [REGION_WEIGHTS[r] for r in regions])
        names = {i: world.items[regions[0]][i].name for i in world.demo_items}
        order = item_order(world, rng, names)
        self.item = Picker(rng, order, zipf(len(order), 1.05))
        border = bundle_order(world, rng)
        self.bundle = Picker(rng, [world.bundles[i] for i in border], zipf(len(border), 0.9))
        self.hour = Picker(rng, list(range(24)), HOUR_WEIGHTS)
        self.channels = {
            (step, working): Picker(rng, CHANNELS, channel_weights(step / CHANNEL_STEPS, working))
            for step in range(CHANNEL_STEPS + 1)
            for working in (True, False)
        }
        self.provisions = ProvisionPool(rng)
        self.pools: dict[tuple[str, bool], list[Applicant]] = {
            (r, company): applicant_pool(
                rng, r, company, options.pool if not company else max(10, options.pool // 4)
            )
            for r in regions
            for company in (False, True)
        }

    # --- numbering --------------------------------------------------------------------

    def serial(self, scope: str, day: int) -> int:
        key = (scope, day)
        value = self.counters.get(key, 0) + 1
        self.counters[key] = value
        return value

    # --- one application ----------------------------------------------------------------

    def application(self, day: int, working: bool, progress: float, remaining: int) -> int:
        rng, w = self.rng, self.world
        region: str = self.region()
        bundle: BundleInfo | None = None
        if rng.random() < BUNDLE_SHARE:
            bundle = self.bundle()
            if len(bundle.members) > remaining:
                bundle = None
        if bundle is not None:
            members = list(bundle.members)
            plan_code, plan_name = bundle.code, bundle.name
            company = bundle.company
            bundle_version, item_id = str(bundle.version_id), NULL
        else:
            demo_id: int = self.item()
            members = [demo_id]
            info = w.items[region][demo_id]
            plan_code, plan_name = info.code, info.name
            company = demo_id in w.company_items
            bundle_version, item_id = NULL, str(info.item_id)
        channel: str = self.channels[(int(progress * CHANNEL_STEPS), working)]()
        window = channel == "window"
        if window:
            received = self.sim.office(day)
        else:
            received = day * DAY + self.hour() * 3600 + int(rng.random() * 3600)
        stamp = self.fc.stamp(received)
        ymd = self.fc.iso(day).replace("-", "")
        number = f"SQ{ymd}{self.serial('application', day):06d}"
        pool = self.pools[(region, company)]
        person = pool[int(rng.random() * len(pool))]
        app_id = self.next_app
        self.next_app += 1
        centre = str(w.centres[region])
        self.sink.add(
            "applications",
            (
                str(app_id), number, "submitted", plan_code, plan_name, channel, person.kind,
                person.name, person.id_token, person.digest, person.masked, person.phone_token,
                "self", "", "", "", "{}", person.form_token, NULL, "", stamp, stamp, stamp,
                NULL, bundle_version, self.user, item_id, NULL, self.user if window else NULL,
                centre, "t" if rng.random() < 0.6 else "f", NULL,
            ),
        )  # fmt: skip
        submit_order = self.order
        self.order += 1
        case_nos = []
        for demo_id in members:
            info = w.items[region][demo_id]
            case_no = f"{info.code}{ymd}{self.serial('case:' + info.code, day):04d}"
            case_nos.append(case_no)
            life = self.sim.run(received, window, info)
            bundle_code = plan_code if bundle is not None else ""
            self.case(life, case_no, info, bundle_code, received, stamp, app_id, centre, channel)
        cases = ", ".join(f'"{no}": "received"' for no in case_nos)
        after = (
            f'{{"plan": "{plan_code}", "channel": "{channel}", "acting_as": "self", '
            f'"cases": {{{cases}}}, "provisions": {self.provisions.draw(window, bundle is not None, progress)}}}'
        )
        self.buckets[day].append(
            (
                received,
                submit_order,
                "application.submit",
                "application",
                number,
                NULL,
                after,
                channel,
            )
        )
        self.summary.applications += 1
        return len(members)

    def case(
        self,
        life: CaseLife,
        case_no: str,
        info: ItemInfo,
        bundle_code: str,
        received: int,
        stamp: str,
        app_id: int,
        centre: str,
        channel: str,
    ) -> None:
        fc = self.fc
        case_id = self.next_case
        self.next_case += 1

        def day(o: int | None) -> str:
            return NULL if o is None else fc.iso(o)

        def moment(t: int | None) -> str:
            return NULL if t is None else fc.stamp(t)

        self.sink.add(
            "cases",
            (
                str(case_id), case_no, info.code, info.name, bundle_code, life.state, "0", stamp,
                day(life.accepted_on), moment(life.decided_at), moment(life.delivered_at),
                day(life.statutory_due), day(life.promised_due), "t" if life.provisional else "f",
                str(life.paused_working), str(life.paused_natural), life.decision_by, life.reason,
                life.legal_basis, day(life.deficiency_supply_by), NULL, life.result_name,
                life.delivery_method, life.tracking_no, fc.stamp(life.updated_at), NULL,
                str(app_id), str(info.department_id), str(info.item_id),
                str(info.version_id), centre,
            ),
        )  # fmt: skip
        if life.special is not None:
            start, end, paused, kind = life.special
            self.sink.add(
                "specials",
                (
                    str(case_id), kind, "依法需要" + ("听证" if kind == "hearing" else "检验检测鉴定"),
                    fc.iso(start), day(end), "已完成" if end is not None else "", str(paused), self.user,
                ),
            )  # fmt: skip
            self.summary.specials += 1
        for t, action, before, after in life.events:
            self.buckets[t // DAY].append(
                (t, self.order, action, "case", case_no, before, after, channel)
            )
            self.order += 1
        self.summary.states[life.state] += 1

    # --- the day loop -------------------------------------------------------------------

    def flush_day(self, day: int) -> None:
        events = self.buckets.pop(day, [])
        events.sort()
        fc, sink = self.fc, self.sink
        seq, prev = self.seq, self.prev_hash
        for t, _, action, otype, oid, before, after, channel in events:
            seq += 1
            digest = f"{seq:064x}"
            sink.add(
                "events",
                ("main", str(seq), fc.stamp(t), "", "system", action, otype, oid, before, after,
                 channel, "", prev, digest, NULL),
            )  # fmt: skip
            prev = digest
        self.seq, self.prev_hash = seq, prev
        self.summary.events += len(events)

    def run(self) -> Summary:
        began = time.monotonic()
        with bulk_load(self.say) if self.o.bulk else nullcontext():
            try:
                self.days(began)
            finally:
                self.sink.close()  # waits for the last COPY
            self.say(f"写入完成（{time.monotonic() - began:,.0f} 秒）")
        save_sequences(self.counters)
        AuditChainHead.objects.filter(chain=DEFAULT_CHAIN).update(
            last_seq=self.seq, last_hash=self.prev_hash
        )
        self.summary.last_seq = self.seq
        self.say("ANALYZE …")
        finish()
        self.summary.elapsed = time.monotonic() - began
        return self.summary

    def days(self, began: float) -> None:
        o, summary = self.o, self.summary
        weights = day_weights(self.fc, self.first, self.last)
        total_weight = sum(weights)
        span = max(1, self.last - self.first)
        made = 0
        cumulative = 0.0
        reported = 0
        for index, day in enumerate(range(self.first, self.last + 1)):
            cumulative += weights[index]
            target = o.cases if day == self.last else round(o.cases * cumulative / total_weight)
            working = self.fc.is_working(day)
            progress = (day - self.first) / span
            while made < target:
                made += self.application(day, working, progress, o.cases - made)
            self.flush_day(day)
            summary.cases = made
            if made - reported >= o.batch or day == self.last:
                self.sink.flush()
                reported = made
                elapsed = time.monotonic() - began
                rows = sum(self.sink.written.values())
                self.say(
                    f"{datetime.date.fromordinal(day)}  办件 {made:,}  申请 {summary.applications:,}  "
                    f"事件 {summary.events:,}  {made / elapsed:,.0f} 件/秒  {rows / elapsed:,.0f} 行/秒"
                )
        assert not self.buckets, "events left after the last day"


def generate(options: Options, say: Callable[[str], None] = print) -> Summary:
    """Generate `options.cases` cases (with applications and events) into the database."""
    world = build_world()
    if connection.vendor == "postgresql":
        return Generator(world, options, say).run()
    # SQLite: one transaction (small runs only); PostgreSQL commits per COPY batch.
    with transaction.atomic():
        return Generator(world, options, say).run()
