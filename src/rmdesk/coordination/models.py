"""Internal coordination: work orders, their routing, approvals and SLA clocks, working
groups and business resource pools (DOMAIN.md §5)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rmdesk.core.models import BaseModel
from rmdesk.customers.models import Customer, Tier
from rmdesk.org.models import Department, OrgUnit
from rmdesk.org.roles import Role

ZERO = Decimal("0")


class Level(models.TextChoices):
    """Where in the tree, counted from the raiser's org unit, a step lands."""

    RAISER_UNIT = "raiser_unit", _("The raiser's own unit")
    SUB_BRANCH = "sub_branch", _("The raiser's sub-branch")
    BRANCH = "branch", _("The raiser's branch")
    HEAD_OFFICE = "head_office", _("Head office")


class BusinessDay(BaseModel):
    """An exception to the Mon–Fri working week: a holiday, or a make-up working day (调休)."""

    day = models.DateField(_("day"), unique=True)
    is_working = models.BooleanField(_("working day"), default=False)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.note}"


class WorkOrderType(BaseModel):
    """A kind of request the bank handles (credit application, pricing exception…).

    ``fields`` is a list of field definitions: ``{"name", "label", "type"
    (text|number|decimal|date|choice|bool), "required", "choices", "min", "max"}``;
    a work order's answers are validated against it when it is raised.
    """

    class PoolKind(models.TextChoices):
        NONE = "", _("None")
        PRICING_BP = "pricing_bp", _("Pricing concession (bp)")
        MARKETING_CNY = "marketing_cny", _("Marketing expense (CNY)")
        GIFT_CNY = "gift_cny", _("Gift budget (CNY)")
        CREDIT_QUOTA = "credit_quota", _("Credit quota (CNY)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    fields = models.JSONField(_("form fields"), default=list, blank=True)
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    sla_hours = models.PositiveIntegerField(_("SLA (business hours)"), default=16)
    pool_kind = models.CharField(
        _("resource drawn"), max_length=16, choices=PoolKind.choices, blank=True, default=""
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("work order type")
        verbose_name_plural = _("work order types")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoutingRule(BaseModel):
    """Where a new work order goes: the first active rule (by priority) that matches.

    A rule sends the work to a department at a level of the tree, or to the head of the
    unit at that level (a sub-branch head settling a dispute between their managers).
    The level is counted from the raiser's unit, or from the customer's home unit.
    """

    class Target(models.TextChoices):
        DEPARTMENT = "department", _("A department")
        UNIT_HEAD = "unit_head", _("The head of the unit")

    class Anchor(models.TextChoices):
        RAISER = "raiser", _("The raiser's unit")
        CUSTOMER = "customer", _("The customer's home unit")

    priority = models.PositiveIntegerField(_("priority"), default=100)
    work_order_type = models.ForeignKey(
        WorkOrderType,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
        verbose_name=_("type"),
    )
    amount_min = models.DecimalField(
        _("amount from"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    amount_max = models.DecimalField(
        _("amount below"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    customer_tier = models.CharField(_("customer tier"), max_length=12, blank=True)
    customer_kind = models.CharField(_("customer kind"), max_length=16, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raised within"),
    )
    target = models.CharField(
        _("sent to"), max_length=16, choices=Target.choices, default=Target.DEPARTMENT
    )
    anchor = models.CharField(
        _("level counted from"), max_length=16, choices=Anchor.choices, default=Anchor.RAISER
    )
    department_kind = models.CharField(
        _("department"), max_length=32, choices=Department.Kind.choices, blank=True
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    sla_hours = models.PositiveIntegerField(_("step SLA (business hours)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer_tier="") | Q(customer_tier__in=Tier.values),
                name="coordination_routingrule_tier",
            ),
            models.CheckConstraint(
                condition=Q(target="unit_head", department_kind="")
                | (Q(target="department") & ~Q(department_kind="")),
                name="coordination_routingrule_one_target",
            ),
        ]

    def __str__(self) -> str:
        where = (
            self.get_target_display()
            if self.target == self.Target.UNIT_HEAD
            else self.get_department_kind_display()
        )
        return f"#{self.priority} → {self.get_level_display()} {where}"


class ApprovalRule(BaseModel):
    """One link of an approval chain: from ``amount_min`` up, ``approver`` at ``level`` signs.

    The chain of a work order is every active rule of its type whose threshold the
    amount reaches, in ``sequence`` order: a larger amount climbs further up the tree.
    The approver is the holder of ``approver_role`` at that unit, or an officer of
    ``department_kind`` there.
    """

    work_order_type = models.ForeignKey(
        WorkOrderType, on_delete=models.CASCADE, related_name="approval_rules"
    )
    sequence = models.PositiveSmallIntegerField(_("sequence"), default=1)
    amount_min = models.DecimalField(
        _("from amount"), max_digits=18, decimal_places=2, default=ZERO
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    approver_role = models.CharField(
        _("approver role"), max_length=32, choices=Role.choices, blank=True
    )
    department_kind = models.CharField(
        _("approving department"), max_length=32, choices=Department.Kind.choices, blank=True
    )
    sla_hours = models.PositiveIntegerField(_("step SLA (business hours)"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")
        ordering = ["work_order_type", "sequence", "amount_min"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(approver_role="") & ~Q(department_kind=""))
                | (~Q(approver_role="") & Q(department_kind="")),
                name="coordination_approvalrule_one_approver",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_order_type} ≥ {self.amount_min}"


class ResourcePool(BaseModel):
    """A unit's budget of one resource for one period, carved from its parent's.

    Availability is ``limit_amount - held - booked - allocated``; the database refuses
    any row where that goes negative, whatever the concurrency.
    """

    Kind = WorkOrderType.PoolKind

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    period = models.CharField(_("period"), max_length=16, help_text=_("e.g. 2026 or 2026-Q4"))
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    limit_amount = models.DecimalField(_("limit"), max_digits=18, decimal_places=2, default=ZERO)
    held = models.DecimalField(_("held"), max_digits=18, decimal_places=2, default=ZERO)
    booked = models.DecimalField(_("booked"), max_digits=18, decimal_places=2, default=ZERO)
    allocated = models.DecimalField(
        _("allocated to units below"), max_digits=18, decimal_places=2, default=ZERO
    )

    class Meta:
        verbose_name = _("resource pool")
        verbose_name_plural = _("resource pools")
        ordering = ["period", "kind", "org_unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "kind", "period"], name="coordination_pool_unique"
            ),
            models.CheckConstraint(
                condition=Q(held__gte=0) & Q(booked__gte=0) & Q(allocated__gte=0),
                name="coordination_pool_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(limit_amount__gte=F("held") + F("booked") + F("allocated")),
                name="coordination_pool_never_overspent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit} {self.get_kind_display()} {self.period}"

    @property
    def available(self) -> Decimal:
        return self.limit_amount - self.held - self.booked - self.allocated


class WorkOrder(BaseModel):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("coordination", "Open")
        INFO_REQUESTED = "info_requested", _("Waiting for information")
        IN_APPROVAL = "in_approval", _("In approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    class HoldState(models.TextChoices):
        NONE = "", _("None")
        HELD = "held", _("Held")
        BOOKED = "booked", _("Booked")
        RELEASED = "released", _("Released")

    work_order_type = models.ForeignKey(
        WorkOrderType, on_delete=models.PROTECT, related_name="+", verbose_name=_("type")
    )
    title = models.CharField(_("subject"), max_length=200)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="work_orders",
        verbose_name=_("customer"),
    )
    prospect_ref = models.CharField(_("prospect"), max_length=200, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    owner_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    current_step = models.ForeignKey(
        "Step", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    amount = models.DecimalField(
        _("amount"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    fields = models.JSONField(_("details"), default=dict, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    # Business seconds left on the clock while it is stopped (waiting for the raiser).
    sla_paused_seconds = models.PositiveIntegerField(null=True, blank=True)
    sla_breached_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    status_before_info = models.CharField(max_length=16, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    pool = models.ForeignKey(
        ResourcePool, on_delete=models.PROTECT, null=True, blank=True, related_name="work_orders"
    )
    pool_amount = models.DecimalField(max_digits=18, decimal_places=2, null=True, blank=True)
    hold_state = models.CharField(
        max_length=8, choices=HoldState.choices, blank=True, default=HoldState.NONE
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        indexes = [
            # Department queue: WHERE owner_department_id = ? AND status IN (open…) ORDER BY due_at
            models.Index(
                fields=["owner_department", "status", "due_at"], name="coordination_wo_queue"
            ),
            # My work: WHERE raised_by_id = ? ORDER BY -id
            models.Index(fields=["raised_by", "-id"], name="coordination_wo_raised"),
            # Escalation sweep: WHERE status IN (open…) AND due_at <= now
            models.Index(fields=["status", "due_at"], name="coordination_wo_sla"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | ~Q(prospect_ref=""),
                name="coordination_wo_customer_or_prospect",
            ),
            models.CheckConstraint(
                condition=Q(pool__isnull=True) | Q(pool_amount__gt=0),
                name="coordination_wo_pool_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


OPEN_STATUSES = (
    WorkOrder.Status.OPEN,
    WorkOrder.Status.INFO_REQUESTED,
    WorkOrder.Status.IN_APPROVAL,
)
CLOSED_STATUSES = (
    WorkOrder.Status.APPROVED,
    WorkOrder.Status.REJECTED,
    WorkOrder.Status.DONE,
    WorkOrder.Status.CANCELLED,
)
# The clock runs while the bank owes an answer; it stops while the raiser does.
CLOCK_STATUSES = (WorkOrder.Status.OPEN, WorkOrder.Status.IN_APPROVAL)


class Step(BaseModel):
    """One stage of a work order: handling by a department, or an approval."""

    class Kind(models.TextChoices):
        HANDLE = "handle", _("Handling")
        APPROVE = "approve", _("Approval")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("In progress")
        DONE = "done", _("Done")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        SKIPPED = "skipped", _("Skipped")

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="steps")
    sequence = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approver_role = models.CharField(max_length=32, choices=Role.choices, blank=True)
    sla_hours = models.PositiveIntegerField(default=16)
    due_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["work_order", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_order", "sequence"], name="coordination_step_unique_sequence"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_order_id}.{self.sequence} {self.kind}"


class TimelineEvent(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", _("Raised")
        ROUTED = "routed", _("Routed")
        COMMENT = "comment", _("Comment")
        INFO_REQUESTED = "info_requested", _("Information requested")
        INFO_PROVIDED = "info_provided", _("Information provided")
        ATTACHMENT = "attachment", _("Attachment")
        SUBMITTED = "submitted", _("Sent for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ESCALATED = "escalated", _("Escalated")
        REASSIGNED = "reassigned", _("Reassigned")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["work_order", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.work_order_id} {self.kind}"


class Attachment(BaseModel):
    """A file kept under the var directory (by content hash), or a reference to one."""

    work_order = models.ForeignKey(WorkOrder, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    reference = models.CharField(_("reference"), max_length=500, blank=True)

    def __str__(self) -> str:
        return self.name


class IdempotencyRecord(BaseModel):
    """The first answer to an API write carrying an ``Idempotency-Key`` header."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["actor", "key"], name="coordination_idem_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class PoolEntry(models.Model):
    """The ledger of a pool. ``delta`` is the entry's effect on what is available, so the
    deltas of a pool always add up to its availability."""

    class Kind(models.TextChoices):
        ALLOCATE = "allocate", _("Allocate")
        HOLD = "hold", _("Hold")
        RELEASE = "release", _("Release")
        BOOK = "book", _("Book")

    pool = models.ForeignKey(ResourcePool, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(max_digits=18, decimal_places=2)
    delta = models.DecimalField(max_digits=18, decimal_places=2)
    work_order = models.ForeignKey(
        WorkOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["pool", "id"]
        constraints = [
            # A work order holds, books or releases a pool at most once each: a retried
            # request cannot move the money twice.
            models.UniqueConstraint(
                fields=["pool", "work_order", "kind"],
                condition=Q(work_order__isnull=False),
                name="coordination_poolentry_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pool_id} {self.kind} {self.amount}"


class WorkingGroup(BaseModel):
    """A deal team: staff from several departments and branches, for a customer or a deal.

    While it is open its members may see its customer (``access.working_group_customer_ids_q``).
    """

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("coordination", "Open")
        CLOSED = "closed", pgettext_lazy("coordination", "Closed")

    name = models.CharField(_("name"), max_length=200)
    purpose = models.TextField(_("purpose"), blank=True)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deal_ref = models.CharField(_("deal"), max_length=200, blank=True)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("working group")
        verbose_name_plural = _("working groups")

    def __str__(self) -> str:
        return self.name


class WorkingGroupMember(BaseModel):
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="members")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role in the group"), max_length=100, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One live membership per person and group.
            models.UniqueConstraint(
                fields=["group", "staff"],
                condition=Q(removed_at__isnull=True),
                name="coordination_member_unique_live",
            ),
        ]
        indexes = [
            # Access: WHERE staff_id = ? AND removed_at IS NULL
            models.Index(fields=["staff", "removed_at"], name="coordination_member_staff"),
        ]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.staff_id}"


class WorkingGroupTask(BaseModel):
    group = models.ForeignKey(WorkingGroup, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(_("task"), max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["group", "done_at", "due_on", "id"]

    def __str__(self) -> str:
        return self.title


class EscalationRun(models.Model):
    """One sweep of the SLA escalation: what it escalated, to which level, to whom."""

    ran_at = models.DateTimeField(db_index=True)
    escalated = models.PositiveIntegerField(default=0)
    # [[work order id, new level, [superior staff ids]], …]
    work_orders = models.JSONField(default=list)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return f"{self.ran_at:%Y-%m-%d %H:%M} ({self.escalated})"
