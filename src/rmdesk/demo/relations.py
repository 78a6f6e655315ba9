"""Who serves each customer (assignments with history) and who brought them (referrals)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from rmdesk.customers.models import CustomerAssignment, Tier
from rmdesk.demo.columns import Row
from rmdesk.demo.draft import Days, Ids

if TYPE_CHECKING:
    from rmdesk.demo.draft import Draft
    from rmdesk.demo.generate import Unit

UNASSIGNED_SHARE = 0.053  # of mass and silver customers, which makes about 5 % of all
_LEAD = str(CustomerAssignment.Role.LEAD.value)
_ASSISTING = str(CustomerAssignment.Role.ASSISTING.value)
_REFERRAL_NOTES = ("朋友介绍", "同事推荐", "老客户推荐")
_STAFF_REFERRAL_NOTES = ("网点厅堂转介", "外拓营销", "客户经理营销", "公私联动转介")


def assignments(
    rng: random.Random,
    customers: Sequence[Draft],
    heads: dict[int, Draft],
    units: Sequence[Unit],
    *,
    ids: Ids,
    today: int,
    stamp: Callable[[date, str], str],
    out: list[Row],
) -> None:
    """A lead manager from the customer's sub-branch (companies get corporate managers),
    the head's for a household; about 5 % of mass and silver customers wait in the pool.
    Some customers had another manager before; a few have an assisting one (协办)."""
    rand = rng.random

    def moment(ordinal: int, hms: str) -> str:
        return stamp(date.fromordinal(ordinal), hms)

    for person in customers:
        unit = units[person.unit]
        pool = (
            (unit.corporate if person.corporate else unit.retail) or unit.retail or unit.corporate
        )
        head = heads.get(person.household) if person.household is not None else None
        if head is not None and head is not person:
            person.manager = head.manager
        elif person.tier in (Tier.MASS, Tier.SILVER) and rand() < UNASSIGNED_SHARE:
            continue
        elif pool:
            person.manager = pool[int(rand() * len(pool))]
        if person.manager is None:
            continue
        others = [m for m in pool if m != person.manager]
        earliest = max(person.since, today - 6 * 365)
        started = earliest + int(rand() * (today - earliest))
        if others and started - person.since > 90 and rand() < 0.08:
            before = others[int(rand() * len(others))]
            previous = person.since + int(rand() * (started - person.since))
            out.append(
                (ids.take("assignment"), person.id, before, _LEAD, moment(previous, "01:30:00"),
                 moment(started, "01:30:00"), None, "岗位调整")
            )  # fmt: skip
        out.append(
            (ids.take("assignment"), person.id, person.manager, _LEAD,
             moment(started, "01:30:00"), None, None, "")
        )  # fmt: skip
        if others and (head is None or head is person) and rand() < 0.03:
            person.assisting = others[int(rand() * len(others))]
            helped = started + int(rand() * (today - started))
            out.append(
                (ids.take("assignment"), person.id, person.assisting, _ASSISTING,
                 moment(helped, "02:00:00"), None, None, "")
            )  # fmt: skip


def referrals(
    rng: random.Random,
    customers: Sequence[Draft],
    units: Sequence[Unit],
    *,
    ids: Ids,
    days: Days,
    now: str,
    out: list[Row],
) -> None:
    """About 8 % came through a referral: another customer (family, employer, friend) or
    a member of staff of their sub-branch."""
    rand = rng.random
    for j in range(1, len(customers)):
        if rand() >= 0.08:
            continue
        person = customers[j]
        day = days(person.since)
        if rand() < 0.7:
            referrer = customers[int(rand() * j)]
            if person.household is not None and referrer.household == person.household:
                note = "家人推荐"
            elif referrer.corporate and person.employer == referrer.name:
                note = "代发单位推荐"
            else:
                note = _REFERRAL_NOTES[int(rand() * len(_REFERRAL_NOTES))]
            out.append((ids.take("referral"), now, now, person.id, referrer.id, None, day, note))
            continue
        unit = units[person.unit]
        staff = unit.retail + unit.corporate
        if staff:
            note = _STAFF_REFERRAL_NOTES[int(rand() * len(_STAFF_REFERRAL_NOTES))]
            who = staff[int(rand() * len(staff))]
            out.append((ids.take("referral"), now, now, person.id, None, who, day, note))
