"""Scorecards: each manager's figures for a period, kept as snapshots.

A run computes every metric for every account manager of the bank for one period and
stores the figures. History stays as it was computed: correcting data later changes
nothing until someone recomputes (a new run), and the newest run of a period is the
one shown.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rmdesk.core.models import BaseModel
from rmdesk.org.roles import Role


class ScoreRun(models.Model):
    class Kind(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    period_kind = models.CharField(_("period kind"), max_length=8, choices=Kind.choices)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    staff_count = models.PositiveIntegerField(default=0)
    score_count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # The newest finished run of a period: WHERE period_start = ? AND kind = ?
            # ORDER BY finished_at DESC.
            models.Index(
                fields=["period_kind", "period_start", "-finished_at"],
                name="quality_run_period_newest",
            )
        ]

    def __str__(self) -> str:
        return f"{self.period_kind} {self.period_start}"


class Score(models.Model):
    """One figure of one member of staff in one run."""

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="scores")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    metric = models.CharField(_("metric"), max_length=48)
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=4)
    numerator = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    denominator = models.DecimalField(max_digits=20, decimal_places=2, null=True)
    # Where the figure stands among the bank's managers of the run (0 = lowest, 1 = best).
    percentile = models.DecimalField(max_digits=5, decimal_places=4, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["run", "staff", "metric"], name="quality_score_one_per_metric"
            )
        ]
        indexes = [
            # A person's figures across runs (their trend).
            models.Index(fields=["staff", "metric"], name="quality_score_staff_metric"),
            # The board of a run sorted by one figure: WHERE run_id = ? AND metric = ?
            # ORDER BY value DESC.
            models.Index(fields=["run", "metric", "-value"], name="quality_score_board"),
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.value}"


class MetricWeight(BaseModel):
    """How much a metric counts in the overall score of a role (banks configure these)."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    metric = models.CharField(_("metric"), max_length=48)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["role", "metric"], name="quality_weight_one"),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0), name="quality_weight_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}:{self.metric}={self.weight}"


class AttributionRule(BaseModel):
    """How credit for a shared customer is split between the lead and the assisting manager."""

    lead_share = models.DecimalField(_("lead manager's share"), max_digits=5, decimal_places=4)
    effective_from = models.DateField(_("effective from"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lead_share__gte=0) & models.Q(lead_share__lte=1),
                name="quality_attribution_share_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead_share} from {self.effective_from}"


class AttributionDispute(BaseModel):
    """A manager's objection to how a shared customer's credit is split, settled by the
    head of the sub-branch that owns the customer through a coordination work order."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("dispute", "Open")
        UPHELD = "upheld", _("Split upheld")
        CHANGED = "changed", _("Split changed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="+", verbose_name=_("customer")
    )
    # The pair the split was between when the dispute was raised.
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assistant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    lead_share_before = models.DecimalField(
        _("lead manager's share before"), max_digits=5, decimal_places=4
    )
    proposed_lead_share = models.DecimalField(
        _("proposed lead manager's share"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    work_order = models.ForeignKey(
        "coordination.WorkOrder",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    lead_share_after = models.DecimalField(
        _("lead manager's share after"), max_digits=5, decimal_places=4, null=True, blank=True
    )

    class Meta:
        verbose_name = _("attribution dispute")
        verbose_name_plural = _("attribution disputes")
        constraints = [
            # One open dispute per customer at a time.
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(status="open"),
                name="quality_dispute_one_open",
            ),
        ]
        indexes = [
            # A work order's dispute (the close hook): WHERE work_order_id = ?.
            models.Index(fields=["work_order"], name="quality_dispute_work_order"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer_id} {self.status}"


class AttributionSplit(BaseModel):
    """A split set for one customer between one lead and one assisting manager (a settled
    dispute). It applies from ``effective_from`` while the same two serve the customer;
    otherwise the bank's AttributionRule does."""

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assistant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lead_share = models.DecimalField(_("lead manager's share"), max_digits=5, decimal_places=4)
    effective_from = models.DateField(_("effective from"))
    dispute = models.ForeignKey(
        AttributionDispute, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lead_share__gte=0) & models.Q(lead_share__lte=1),
                name="quality_split_share_range",
            )
        ]
        indexes = [
            # The split of a customer on a day: WHERE customer_id = ? AND effective_from <= ?
            # ORDER BY effective_from DESC.
            models.Index(fields=["customer", "-effective_from"], name="quality_split_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.lead_share} from {self.effective_from}"


class ScoringSettings(BaseModel):
    """The bank's scorecard setup: the period its scorecards are read by (one row)."""

    class Kind(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")
        YEAR = "year", _("Year")

    period_kind = models.CharField(
        _("scorecard period"), max_length=8, choices=Kind.choices, default=Kind.MONTH
    )

    def __str__(self) -> str:
        return self.period_kind
