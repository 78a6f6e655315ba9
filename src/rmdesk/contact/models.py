"""Keeping in touch with customers: interactions, the daily plan, visits and service requests.

Every record here belongs to a customer and is read through the visibility policy
(``customer_q(actor, prefix="customer__")``); restricted interactions are narrowed
further to their author's line (see ``selectors.interaction_q``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from rmdesk.core.models import BaseModel
from rmdesk.customers.models import Tier


class NeedCategory(BaseModel):
    """A need a customer can voice (wealth growth, education…): the bank's own taxonomy."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    active = models.BooleanField(_("in use"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("need category")
        verbose_name_plural = _("need categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The name in the current language (Chinese for any zh variant)."""
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


class Interaction(BaseModel):
    """One contact with a customer: a call, a visit, a message… and what came of it."""

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone call")
        VISIT = "visit", _("Visit")
        BRANCH_MEETING = "branch_meeting", _("Meeting at the branch")
        WECHAT = "wechat", _("WeChat / WeCom message")
        EMAIL = "email", _("E-mail")
        VIDEO = "video", _("Video call")

    # Contacts that count as "in person" for the cadence's in-person rule.
    IN_PERSON = frozenset({Channel.VISIT, Channel.BRANCH_MEETING, Channel.VIDEO})

    class Confidentiality(models.TextChoices):
        NORMAL = "normal", _("Normal")
        RESTRICTED = "restricted", _("Restricted to me and my line")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="interactions"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="interactions"
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    occurred_at = models.DateTimeField(_("when"))
    key_person = models.ForeignKey(
        "customers.KeyPerson",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
        verbose_name=_("with (key person)"),
    )
    summary = models.TextField(_("summary"), max_length=4000)
    confidentiality = models.CharField(
        _("confidentiality"),
        max_length=12,
        choices=Confidentiality.choices,
        default=Confidentiality.NORMAL,
    )
    needs = models.ManyToManyField(
        NeedCategory, blank=True, related_name="interactions", verbose_name=_("needs heard")
    )
    next_step = models.CharField(_("next step"), max_length=500, blank=True)
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    follow_up_done_at = models.DateTimeField(_("follow-up done"), null=True, blank=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            # A customer's history, newest first; the plan's "last contact" per customer:
            # WHERE customer_id = ? ORDER BY occurred_at DESC / GROUP BY customer_id.
            models.Index(fields=["customer", "-occurred_at"], name="contact_interaction_customer"),
            # Follow-ups still open by date (plan, reminders, calendar):
            # WHERE follow_up_done_at IS NULL AND follow_up_on <= ?.
            models.Index(
                fields=["follow_up_on", "author"],
                name="contact_interaction_followup",
                condition=Q(follow_up_on__isnull=False, follow_up_done_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel} {self.occurred_at:%Y-%m-%d}"


class ContactCadence(BaseModel):
    """How often a tier's customers must hear from their manager (days; empty = no rule).

    The bank edits these; while it has none, ``DEFAULT_CADENCES`` apply.
    """

    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices, unique=True)
    contact_days = models.PositiveSmallIntegerField(
        _("a contact at least every (days)"), null=True, blank=True
    )
    in_person_days = models.PositiveSmallIntegerField(
        _("in person at least every (days)"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("contact cadence")
        verbose_name_plural = _("contact cadences")
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_days__isnull=True) | Q(contact_days__gte=1),
                name="contact_cadence_contact_days",
            ),
            models.CheckConstraint(
                condition=Q(in_person_days__isnull=True) | Q(in_person_days__gte=1),
                name="contact_cadence_in_person_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()}: {self.contact_days}/{self.in_person_days}"


# DOMAIN.md §4: private banking monthly and in person quarterly; diamond monthly and in
# person half-yearly; gold quarterly; silver and mass campaign-driven (no rule).
DEFAULT_CADENCES: dict[str, tuple[int | None, int | None]] = {
    Tier.PRIVATE: (30, 91),
    Tier.DIAMOND: (30, 182),
    Tier.GOLD: (91, None),
    Tier.SILVER: (None, None),
    Tier.MASS: (None, None),
}


class PlanCapacity(BaseModel):
    """How many customers one manager can contact a day, where it differs from the default."""

    manager = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_capacity"
    )
    per_day = models.PositiveSmallIntegerField(_("contacts per day"))

    class Meta:
        verbose_name = _("plan capacity")
        verbose_name_plural = _("plan capacities")

    def __str__(self) -> str:
        return f"{self.manager_id}: {self.per_day}"


class PlanRun(models.Model):
    """One generation of the plan for a day, for every manager or for one."""

    day = models.DateField()
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    entries = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="contact_planrun_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.manager_id or '*'}"


class PlanCandidate(models.Model):
    """Scratch rows of one run: each reason (or exclusion) found for a customer.

    Written and read by set-based SQL inside the run's transaction, then deleted.
    """

    # No database constraint: a deferred check per scratch row would cost the run's
    # commit seconds at bank scale, for rows deleted before it.
    run = models.ForeignKey(
        PlanRun, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    customer_id = models.BigIntegerField()
    manager_id = models.BigIntegerField(default=0)  # the customer's lead manager
    # "reason", "exclude_all" or "exclude_marketing".
    kind = models.CharField(max_length=20)
    code = models.CharField(max_length=40)
    weight = models.IntegerField(default=0)
    marketing = models.BooleanField(default=False)
    detail = models.CharField(max_length=200, blank=True)
    evidence = models.TextField(default="{}")  # a JSON object, as text
    carried_from = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            # The run's reasons grouped by customer: WHERE run_id = ? GROUP BY customer_id.
            models.Index(fields=["run", "customer_id"], name="contact_candidate_run"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.customer_id} {self.code}"


class PlanFlow(models.Model):
    """Scratch rows of one run: the window's large inflows and outflows to other banks,
    copied with one scan of the transactions and shared by the reasons that read them."""

    # No database constraint: a deferred check per scratch row would cost the run's
    # commit seconds at bank scale, for rows deleted before it.
    run = models.ForeignKey(
        PlanRun, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    customer_id = models.BigIntegerField()
    kind = models.CharField(max_length=8)  # "inflow" or "outflow"
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    booked_on = models.DateField()

    class Meta:
        indexes = [
            # A run's flows by kind and customer: WHERE run_id = ? AND kind = ? GROUP BY customer.
            models.Index(fields=["run", "kind", "customer_id"], name="contact_planflow_run"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.customer_id} {self.kind}"


class PlanEntry(BaseModel):
    """A customer on a manager's plan for a day, with the reasons they are there."""

    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        DONE = "done", _("Contacted")
        DISMISSED = "dismissed", _("Dismissed")

    class Outcome(models.TextChoices):
        CONTACTED = "contacted", _("Contacted")
        NOT_REACHABLE = "not_reachable", _("Could not reach")
        DECLINED = "declined", _("Customer declined")
        NOT_RELEVANT = "not_relevant", _("Not relevant any more")
        HANDLED_ELSEWHERE = "handled_elsewhere", _("Handled by a colleague")
        OTHER = "other", _("Other")

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_entries"
    )
    day = models.DateField(_("day"))
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="plan_entries"
    )
    score = models.IntegerField(_("priority"))
    # [{"code", "detail", "evidence"}], strongest first.
    reasons = models.JSONField(_("reasons"), default=list)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    # The first day this customer was planned, when unfinished entries were carried on.
    carried_from = models.DateField(_("carried from"), null=True, blank=True)
    interaction = models.ForeignKey(
        Interaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("plan entry")
        verbose_name_plural = _("plan entries")
        constraints = [
            models.UniqueConstraint(
                fields=["manager", "day", "customer"], name="contact_planentry_unique"
            ),
            models.CheckConstraint(
                condition=Q(status="open", outcome="") | ~Q(status="open"),
                name="contact_planentry_open_no_outcome",
            ),
        ]
        indexes = [
            # A manager's plan for a day: WHERE manager_id = ? AND day = ? ORDER BY score DESC.
            models.Index(fields=["manager", "day", "-score"], name="contact_planentry_day"),
            # Closing a customer's open entries when they are contacted:
            # WHERE customer_id = ? AND day = ? AND status = 'open'.
            models.Index(
                fields=["customer", "day"],
                name="contact_planentry_customer",
                condition=Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.manager_id} {self.customer_id}"


class Visit(BaseModel):
    """A planned meeting at the customer's place (or elsewhere), with its check-in."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="visits"
    )
    planned_start = models.DateTimeField(pgettext_lazy("visit", "from"))
    planned_end = models.DateTimeField(pgettext_lazy("visit", "until"))
    purpose = models.CharField(_("purpose"), max_length=300)
    location = models.CharField(_("place"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    check_in_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_in_lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_in_accuracy_m = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            # A manager's calendar: WHERE manager_id = ? AND planned_start BETWEEN ? AND ?.
            models.Index(fields=["manager", "planned_start"], name="contact_visit_calendar"),
            models.Index(fields=["customer", "-planned_start"], name="contact_visit_customer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gt=models.F("planned_start")),
                name="contact_visit_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(check_in_lat__isnull=True)
                | Q(check_in_lat__gte=-90, check_in_lat__lte=90),
                name="contact_visit_lat",
            ),
            models.CheckConstraint(
                condition=Q(check_in_lng__isnull=True)
                | Q(check_in_lng__gte=-180, check_in_lng__lte=180),
                name="contact_visit_lng",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.planned_start:%Y-%m-%d %H:%M}"


class CalendarFeed(BaseModel):
    """A secret link to one staff member's calendar (iCalendar). Only its hash is stored."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    label = models.CharField(_("label"), max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(max_length=8, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.staff_id} …{self.token_hint}"


class ServiceRequest(BaseModel):
    """Something the customer asked the bank to do, taken once and followed until done.

    Routing and SLAs will come from the coordination app's work orders; until then the
    request keeps its own department, assignee, status and history.
    """

    class Kind(models.TextChoices):
        CARD_REPLACEMENT = "card_replacement", _("Card replacement")
        STATEMENT = "statement", _("Statement or certificate")
        LOAN_ENQUIRY = "loan_enquiry", _("Loan enquiry")
        COMPLAINT = "complaint", _("Complaint")
        ADDRESS_CHANGE = "address_change", _("Change of address or contact details")
        ACCOUNT_CHANGE = "account_change", _("Account change (limits, freeze, close)")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING = "waiting", _("Waiting for the customer")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    OPEN_STATUSES = frozenset({Status.NEW, Status.IN_PROGRESS, Status.WAITING})

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="service_requests"
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    description = models.TextField(_("description"), max_length=4000)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="new")
    department = models.ForeignKey(
        "org.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_requests",
        verbose_name=_("department"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_service_requests",
        verbose_name=_("assignee"),
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="raised_service_requests"
    )
    # The coordination work order that carries the request to the department doing it
    # (raised when the request is taken without a department or assignee chosen by hand).
    work_order = models.ForeignKey(
        "coordination.WorkOrder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_requests",
        verbose_name=_("work order"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="contact_servicereq_customer"),
            # Open requests (plan reason, department queues): WHERE status IN (open…).
            models.Index(
                fields=["department", "due_on"],
                name="contact_servicereq_open",
                condition=Q(status__in=["new", "in_progress", "waiting"]),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"


class ServiceRequestEvent(models.Model):
    """One step of a service request's history: created, moved, reassigned."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_status} → {self.to_status}"
