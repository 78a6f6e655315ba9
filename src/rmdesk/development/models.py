"""Developing customers: prospects and their pipeline, the unclaimed pool, name lists,
latent-need signals found in the bank's data, and the opportunities they lead to.

A prospect is somebody the bank wants as a customer. Its identifiers are stored
normalised with the same keyed digests as Customer (customers.identifiers), so a
prospect and a customer are matched by digest without reading either number.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rmdesk.core.models import BaseModel


class Stage(models.TextChoices):
    NEW = "new", _("New")
    CONTACTED = "contacted", _("Contacted")
    NEEDS_IDENTIFIED = "needs_identified", _("Needs identified")
    PROPOSAL = "proposal", _("Proposal")
    ACCOUNT_OPENING = "account_opening", _("Account opening")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")


OPEN_STAGES = (
    Stage.NEW,
    Stage.CONTACTED,
    Stage.NEEDS_IDENTIFIED,
    Stage.PROPOSAL,
    Stage.ACCOUNT_OPENING,
)


class Prospect(BaseModel):
    """Somebody (a person or a company) the bank wants to win as a customer."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        CORPORATE = "corporate", _("Corporate")

    class Source(models.TextChoices):
        CUSTOMER_REFERRAL = "customer_referral", _("Referred by a customer")
        EMPLOYEE_REFERRAL = "employee_referral", _("Referred by an employee")
        WALK_IN = "walk_in", _("Walk-in")
        EVENT = "event", _("Event")
        PAYROLL = "payroll", _("Payroll enrolment")
        ONLINE = "online", _("Online lead")
        COLD_CALL = "cold_call", _("Cold call")
        NAME_LIST = "name_list", _("Name list")
        SIGNAL = "signal", _("Counterparty of a customer")

    class LostReason(models.TextChoices):
        NO_NEED = "no_need", _("No need")
        COMPETITOR = "competitor", _("Chose another bank")
        PRICE = "price", _("Price or rate")
        UNREACHABLE = "unreachable", _("Could not be reached")
        NOT_ELIGIBLE = "not_eligible", _("Not eligible")
        DUPLICATE = "duplicate", _("Merged into an existing record")
        OTHER = "other", _("Other")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    display_name = models.CharField(_("name"), max_length=200)
    id_type = models.CharField(_("identity document"), max_length=24, blank=True)
    id_number = models.CharField(_("identity number"), max_length=32, blank=True)
    id_digest = models.CharField(max_length=64, blank=True, editable=False)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    mobile_digest = models.CharField(max_length=64, blank=True, editable=False)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    city = models.CharField(_("city"), max_length=32, blank=True)
    # Lower-cased, space-free name: the key of the name + birth date / city match.
    name_key = models.CharField(max_length=200, editable=False)
    home_unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("org unit")
    )
    # Null: in the unclaimed pool (公海).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="prospects",
        verbose_name=_("owner"),
    )
    source = models.CharField(_("source"), max_length=24, choices=Source.choices)
    referrer_customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referring customer"),
    )
    referrer_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referring employee"),
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.NEW)
    stage_changed_at = models.DateTimeField(_("stage changed"))
    # Last stage change or recorded touch: what the pool's return rule counts from.
    last_contact_at = models.DateTimeField(_("last contact"))
    lost_reason = models.CharField(
        _("reason lost"), max_length=16, choices=LostReason.choices, blank=True
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Set when won (the customer it became) or merged into an existing customer.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("prospect")
        verbose_name_plural = _("prospects")
        indexes = [
            # A manager's board: WHERE owner_id = ? AND stage IN (…).
            models.Index(fields=["owner", "stage"], name="development_prospect_owner"),
            # A subtree's prospects and pool: WHERE home_unit_id IN (…).
            models.Index(fields=["home_unit", "stage"], name="development_prospect_unit"),
            # Duplicate checks: WHERE id_digest = ? / mobile_digest = ? / name_key = ?.
            models.Index(
                fields=["id_digest"], name="development_prospect_id", condition=~Q(id_digest="")
            ),
            models.Index(
                fields=["mobile_digest"],
                name="development_prospect_mobile",
                condition=~Q(mobile_digest=""),
            ),
            models.Index(fields=["name_key"], name="development_prospect_name"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(stage="lost") | Q(lost_reason=""),
                name="development_prospect_lost_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.stage}"


class StageChange(models.Model):
    """One step of a prospect's pipeline history (also claims, releases and touches)."""

    prospect = models.ForeignKey(Prospect, on_delete=models.CASCADE, related_name="history")
    from_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=20, choices=Stage.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            # A prospect's history, newest first; the funnel counts by to_stage.
            models.Index(fields=["prospect", "-at"], name="development_stage_prospect"),
        ]

    def __str__(self) -> str:
        return f"{self.prospect_id}: {self.from_stage} → {self.to_stage}"


class AccountOpeningRequest(BaseModel):
    """The account to open for a won prospect, carried to operations by a coordination
    work order of type "account_opening" (where the bank's rules route one)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    prospect = models.OneToOneField(
        Prospect, on_delete=models.PROTECT, related_name="account_opening"
    )
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(max_length=500, blank=True)
    work_order = models.ForeignKey(
        "coordination.WorkOrder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="account_openings",
    )

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer_id}"


class PoolRule(BaseModel):
    """How the unclaimed pool works in an org unit's subtree (the nearest rule applies)."""

    org_unit = models.OneToOneField(
        "org.OrgUnit", on_delete=models.CASCADE, related_name="+", verbose_name=_("org unit")
    )
    claim_limit = models.PositiveIntegerField(_("open claimed prospects per manager"), default=50)
    return_after_days = models.PositiveIntegerField(
        _("return to the pool after days without contact"), default=30
    )

    def __str__(self) -> str:
        return f"{self.org_unit_id}: {self.claim_limit} / {self.return_after_days}d"


DEFAULT_CLAIM_LIMIT = 50
DEFAULT_RETURN_AFTER_DAYS = 30


class PoolClaim(models.Model):
    """A customer taken from the pool by a manager (prospects keep their claim on the row)."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField()
    last_contact_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(released_at__isnull=True),
                name="development_poolclaim_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.manager_id}"


class NameList(BaseModel):
    """A list of customers or prospects issued with a purpose (名单制)."""

    class Level(models.TextChoices):
        HEAD_OFFICE = "head_office", _("Head office")
        BRANCH = "branch", _("Branch")
        MANAGER = "manager", _("Manager")

    title = models.CharField(_("title"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=500)
    level = models.CharField(_("issued by"), max_length=16, choices=Level.choices)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due"), null=True, blank=True)

    def __str__(self) -> str:
        return self.title


class Outcome(models.TextChoices):
    CONTACTED = "contacted", _("Contacted, follow up")
    INTERESTED = "interested", _("Interested")
    CONVERTED = "converted", _("Converted (product sold / account opened)")
    DECLINED = "declined", _("Declined")
    UNREACHABLE = "unreachable", _("Unreachable")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class NameListEntry(models.Model):
    """One customer or prospect on a list, dispatched to the manager who owns it."""

    name_list = models.ForeignKey(NameList, on_delete=models.CASCADE, related_name="entries")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    prospect = models.ForeignKey(
        Prospect, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Null while the customer or prospect is in the pool: nobody to dispatch to.
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    # The manager's org unit when dispatched: what the roll-up groups by.
    org_unit = models.ForeignKey(
        "org.OrgUnit", on_delete=models.PROTECT, null=True, related_name="+"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(max_length=500, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # A manager's open entries: WHERE manager_id = ? AND outcome = ''.
            models.Index(fields=["manager", "outcome"], name="development_entry_manager"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=True) ^ Q(prospect__isnull=True),
                name="development_entry_one_target",
            ),
            models.UniqueConstraint(
                fields=["name_list", "customer"], name="development_entry_customer_once"
            ),
            models.UniqueConstraint(
                fields=["name_list", "prospect"], name="development_entry_prospect_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_list_id}: {self.customer_id or self.prospect_id}"


class SignalCode(models.TextChoices):
    IDLE_DEPOSIT = "idle_deposit", _("Idle demand deposits")
    MATURITY = "maturity", _("Maturing deposit or product")
    SALARY_NO_WEALTH = "salary_no_wealth", _("Salary but no wealth management")
    LARGE_INFLOW = "large_inflow", _("Large one-off inflow")
    ATTRITION = "attrition", _("Transfers to other banks")
    BIRTHDAY = "birthday", _("Birthday")
    SETTLEMENT_GROWTH = "settlement_growth", _("Growing settlement volume")
    PAYROLL_POTENTIAL = "payroll_potential", _("Payroll potential")
    COUNTERPARTY = "counterparty", _("Counterparty who is not a customer")


class SignalRule(BaseModel):
    """The bank's thresholds for one kind of signal; the defaults apply where none is set."""

    code = models.CharField(_("signal"), max_length=24, choices=SignalCode.choices, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    params = models.JSONField(_("thresholds"), default=dict, blank=True)

    def __str__(self) -> str:
        return self.code


class SignalRun(models.Model):
    """A day a rule was computed for. An open signal (``last_seen`` null) is one its
    rule's latest run still found, so a night writes nothing for a need that persists."""

    code = models.CharField(max_length=24, choices=SignalCode.choices)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "day"], name="development_signalrun_once"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.day}"


class Signal(models.Model):
    """A latent need found in one customer's data: one row per episode, the consecutive
    runs of its rule that found it, with the evidence of the latest of them."""

    # No index of its own: the customer-first index below serves every lookup by customer.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    code = models.CharField(max_length=24, choices=SignalCode.choices)
    # What distinguishes two signals of one kind for one customer (a counterparty's name).
    subject = models.CharField(max_length=200, default="", blank=True)
    # The first run day that found it.
    first_seen = models.DateField()
    # The last run day that found it; null while the latest run of its rule (SignalRun)
    # still finds it.
    last_seen = models.DateField(null=True, blank=True)
    evidence = models.JSONField(default=dict)

    # Not stored: the last day it was found, its rule's latest run day while open (set
    # by the reads in signals.py).
    seen_until: date | None = None

    class Meta:
        indexes = [
            # A customer's signals (and the cascade when a customer goes).
            models.Index(
                fields=["customer", "code", "subject", "first_seen"],
                name="development_signal_key",
            ),
            # The closed episodes by their last day (a past day's list, the nightly run's
            # episodes closed the run before).
            models.Index(
                fields=["last_seen"],
                name="development_signal_closed",
                condition=Q(last_seen__isnull=False),
            ),
        ]
        constraints = [
            # One open episode per need; in list order (code, customer, subject).
            models.UniqueConstraint(
                fields=["code", "customer", "subject"],
                condition=Q(last_seen__isnull=True),
                name="development_signal_open",
            ),
            models.CheckConstraint(
                condition=Q(last_seen__isnull=True) | Q(last_seen__gte=models.F("first_seen")),
                name="development_signal_seen",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.code} {self.first_seen}–{self.last_seen or ''}"


class Opportunity(BaseModel):
    """A chance to sell, raised from a signal or by hand, followed up by the customer's manager."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    signal = models.ForeignKey(
        Signal, on_delete=models.SET_NULL, null=True, blank=True, related_name="opportunities"
    )
    # Kept when the signal row is recomputed away, for conversion by signal type.
    signal_code = models.CharField(max_length=24, choices=SignalCode.choices, blank=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("manager"),
    )
    title = models.CharField(_("title"), max_length=200)
    follow_up_on = models.DateField(_("follow up on"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    product = models.CharField(_("product"), max_length=200, blank=True)
    amount = models.DecimalField(
        _("amount (CNY)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    close_note = models.CharField(_("note"), max_length=500, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            # A manager's open opportunities by follow-up date (the contact plan).
            models.Index(
                fields=["manager", "follow_up_on"],
                name="development_opp_followup",
                condition=Q(status="open"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0),
                name="development_opp_amount",
            ),
            # One open opportunity per signal.
            models.UniqueConstraint(
                fields=["signal"],
                condition=Q(status="open", signal__isnull=False),
                name="development_opp_signal_once",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DailyFlow(models.Model):
    """One customer's money movements on one day, summed from the transactions.

    The signal rules read this compact table instead of the transactions. The nightly
    run adds the transactions booked since its last run (by id) and rebuilds exactly the
    customer-days an import changed (``FlowDirty``); days older than the longest rule
    window are dropped.
    """

    day = models.DateField()
    customer_id = models.BigIntegerField()
    outflows = models.IntegerField(default=0)  # debits of any kind
    salary_max = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    # The largest one-off credit (large inflow or transfer in).
    inflow_max = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    other_bank_count = models.IntegerField(default=0)
    other_bank_total = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    # Transfers in and out, to this bank or others, in absolute value.
    settlement = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "customer_id"], name="development_flow_day")
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.day}"


class FlowMark(models.Model):
    """How far ``DailyFlow`` has read: transactions to ``through_id``, days from ``kept_from``."""

    through_id = models.BigIntegerField(default=0)
    kept_from = models.DateField(null=True)

    def __str__(self) -> str:
        return f"{self.through_id} {self.kept_from}"


class FlowDirty(models.Model):
    """A customer-day whose transactions an import changed: rebuilt on the next run."""

    customer_id = models.BigIntegerField()
    day = models.DateField()

    def __str__(self) -> str:
        return f"{self.customer_id} {self.day}"
