"""Marketing products: the shelf, risk assessments, the suitability rule set, sales and
their evidence, recommendations, campaigns, plans and customer requirements.

Suitability (DOMAIN.md §1) is decided by ``marketing.suitability`` from the active
``RuleSet``; a ``Sale`` is written only by ``services.sale_record``, which re-runs the
check inside its transaction.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from rmdesk.core.models import BaseModel

ZERO = Decimal("0")


class RiskLevel(models.IntegerChoices):
    R1 = 1, _("R1 low")
    R2 = 2, _("R2 medium-low")
    R3 = 3, _("R3 medium")
    R4 = 4, _("R4 medium-high")
    R5 = 5, _("R5 high")


class Product(BaseModel):
    """A product on the bank's shelf. ``code`` is the core system's key."""

    class Type(models.TextChoices):
        WM_PUBLIC = "wm_public", _("Wealth management (public)")
        WM_PRIVATE = "wm_private", _("Wealth management (private)")
        FUND = "fund", _("Fund")
        INSURANCE = "insurance", _("Insurance (agency)")
        TIME_DEPOSIT = "time_deposit", _("Time deposit")
        STRUCTURED_DEPOSIT = "structured_deposit", _("Structured deposit")
        GOVERNMENT_BOND = "government_bond", _("Government bond")
        PHYSICAL_METAL = "physical_metal", _("Physical precious metal")
        LOAN = "loan", _("Loan")
        CARD = "card", _("Card")

    class Issuer(models.TextChoices):
        BANK = "bank", _("The bank")
        WM_SUBSIDIARY = "wm_subsidiary", _("Wealth-management subsidiary")
        THIRD_PARTY = "third_party", _("Third party (sold as agent)")

    class AssetClass(models.TextChoices):
        CASH = "cash", _("Cash management")
        FIXED_INCOME = "fixed_income", _("Fixed income")
        MIXED = "mixed", _("Mixed")
        EQUITY = "equity", _("Equity")
        COMMODITY = "commodity", _("Commodities and derivatives")
        PROTECTION = "protection", _("Protection")
        CREDIT = "credit", _("Credit")

    class Qualification(models.TextChoices):
        NONE = "", _("None")
        FUND = "fund", _("Fund sales licence")
        INSURANCE = "insurance", _("Insurance agency licence")
        WEALTH = "wealth", _("Wealth-management sales qualification")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ON_SALE = "on_sale", _("On sale")
        SUSPENDED = "suspended", _("Suspended")
        CLOSED = "closed", pgettext_lazy("marketing", "Closed")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=24, choices=Type.choices)
    issuer_type = models.CharField(_("issuer"), max_length=16, choices=Issuer.choices)
    asset_class = models.CharField(_("asset class"), max_length=16, choices=AssetClass.choices)
    risk_level = models.PositiveSmallIntegerField(_("risk level"), choices=RiskLevel.choices)
    term_days = models.PositiveIntegerField(_("term (days)"), null=True, blank=True)
    yield_low = models.DecimalField(
        _("expected yield from (%)"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    yield_high = models.DecimalField(
        _("expected yield to (%)"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    min_amount = models.DecimalField(
        _("minimum"), max_digits=18, decimal_places=2, default=Decimal("0.01")
    )
    increment = models.DecimalField(
        _("increment"), max_digits=18, decimal_places=2, default=Decimal("0.01")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    sale_starts_at = models.DateTimeField(_("sales window opens"), null=True, blank=True)
    sale_ends_at = models.DateTimeField(_("sales window closes"), null=True, blank=True)
    quota = models.DecimalField(_("quota"), max_digits=18, decimal_places=2, null=True, blank=True)
    quota_used = models.DecimalField(_("quota used"), max_digits=18, decimal_places=2, default=ZERO)
    # Tiers the product is meant for (customers.Tier values); empty means every tier.
    target_tiers = models.JSONField(_("target tiers"), default=list, blank=True)
    qualification_needed = models.CharField(
        _("staff qualification needed"),
        max_length=16,
        choices=Qualification.choices,
        blank=True,
        default="",
    )
    cooling_off_hours = models.PositiveIntegerField(_("cooling-off (hours)"), default=0)
    recording_retention_years = models.PositiveSmallIntegerField(
        _("recording retention (years)"), null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["code"]
        indexes = [
            # The shelf as managers browse it: WHERE status = 'on_sale' ORDER BY code.
            models.Index(fields=["status", "code"], name="marketing_product_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(min_amount__gt=0), name="marketing_product_min"),
            models.CheckConstraint(condition=Q(increment__gt=0), name="marketing_product_incr"),
            models.CheckConstraint(
                condition=Q(quota__isnull=True) | Q(quota_used__lte=models.F("quota")),
                name="marketing_product_quota",
            ),
            models.CheckConstraint(
                condition=Q(quota_used__gte=0), name="marketing_product_quota_used"
            ),
            models.CheckConstraint(
                condition=Q(risk_level__gte=1, risk_level__lte=5), name="marketing_product_risk"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Questionnaire(BaseModel):
    """One version of the risk questionnaire. ``definition`` holds the questions, the
    options with their scores, and the score bands that give C1–C5; a version is never
    edited once an assessment uses it — a change is a new version."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    definition = models.JSONField(_("definition"))
    active = models.BooleanField(_("in use"), default=False)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="marketing_questionnaire_one"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Assessment(BaseModel):
    """A customer's answered questionnaire and the resulting tolerance (S4, S5)."""

    class Channel(models.TextChoices):
        BRANCH = "branch", _("At a branch, face to face")
        ONLINE = "online", _("Online")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="risk_assessments"
    )
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(_("answers"))
    score = models.PositiveIntegerField(_("score"))
    risk_level = models.PositiveSmallIntegerField(_("risk tolerance"))
    loss_unable = models.BooleanField(_("cannot bear any loss"), default=False)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    customer_confirmed_at = models.DateTimeField(_("confirmed by the customer at"))
    assessed_at = models.DateTimeField(_("assessed at"))
    expires_on = models.DateField(_("valid until"))

    class Meta:
        verbose_name = _("risk assessment")
        verbose_name_plural = _("risk assessments")
        indexes = [
            # A customer's latest assessment: WHERE customer_id = ? ORDER BY assessed_at DESC.
            models.Index(fields=["customer", "-assessed_at"], name="marketing_assess_customer"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_level__gte=1, risk_level__lte=5), name="marketing_assess_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} C{self.risk_level} {self.assessed_at:%Y-%m-%d}"


class QualifiedInvestorEvidence(BaseModel):
    """Proof that a customer is a qualified (S11) or professional investor (S3)."""

    class Basis(models.TextChoices):
        NET_FINANCIAL_ASSETS = "net_financial_assets", _("Household net financial assets ≥ 3 m")
        FINANCIAL_ASSETS = "financial_assets", _("Household financial assets ≥ 5 m")
        INCOME = "income", _("Average annual income ≥ 400,000 over 3 years")
        COMPANY_NET_ASSETS = "company_net_assets", _("Company net assets ≥ 10 m")
        PROFESSIONAL = "professional", _("Professional investor")

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="investor_evidence"
    )
    basis = models.CharField(_("basis"), max_length=24, choices=Basis.choices)
    amount = models.DecimalField(_("amount (CNY)"), max_digits=18, decimal_places=2)
    experience_years = models.PositiveSmallIntegerField(_("years of investment experience"))
    document_ref = models.CharField(_("document reference"), max_length=200)
    evidenced_on = models.DateField(_("evidence dated"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("qualified-investor evidence")
        verbose_name_plural = _("qualified-investor evidence")
        indexes = [
            models.Index(fields=["customer", "-evidenced_on"], name="marketing_qie_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.basis} {self.evidenced_on}"


class StaffQualification(BaseModel):
    """A licence a member of staff holds to sell a kind of product, with its expiry."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sales_qualifications"
    )
    kind = models.CharField(
        _("qualification"), max_length=16, choices=Product.Qualification.choices[1:]
    )
    licence_no = models.CharField(_("licence number"), max_length=64)
    valid_from = models.DateField(_("valid from"))
    expires_on = models.DateField(_("expires on"))

    class Meta:
        verbose_name = _("staff qualification")
        verbose_name_plural = _("staff qualifications")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gte=models.F("valid_from")),
                name="marketing_staffqual_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.kind} → {self.expires_on}"


class RuleSet(BaseModel):
    """A version of the suitability parameters (elderly age, minimums, cooling-off…).

    Exactly one is active; a sale stores the version it was checked against.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    parameters = models.JSONField(_("parameters"))
    active = models.BooleanField(_("in force"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("suitability rule set")
        verbose_name_plural = _("suitability rule sets")
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="marketing_ruleset_one"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class Sale(BaseModel):
    """A subscription, recorded only by ``services.sale_record`` after a passing check."""

    class Channel(models.TextChoices):
        BRANCH = "branch", _("At a branch")
        ONLINE = "online", _("Online")
        TERMINAL = "terminal", _("Self-service terminal")

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("sale", "Active")
        CANCELLED = "cancelled", _("Cancelled in cooling-off (full refund)")

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="sales")
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    second_checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    witness_name = models.CharField(_("witness (relative)"), max_length=100, blank=True)
    signed_at = models.DateTimeField(_("signed at"))
    suitability = models.JSONField(_("suitability check"))
    rule_set_version = models.PositiveIntegerField(_("rule set version"))
    risk_warning_signed_at = models.DateTimeField(
        _("risk warning signed at"), null=True, blank=True
    )
    disclosure_sha256 = models.CharField(_("disclosure shown (SHA-256)"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    cooling_off_ends_at = models.DateTimeField(_("cooling-off ends"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Set when a later assessment put the customer below this product's level (S5).
    above_tolerance = models.BooleanField(_("above the current tolerance"), default=False)
    # When the follow-up call is owed (S12 elderly customers; S9 after a cooling-off
    # period): the customer's next contact from then on is that call.
    follow_up_due_at = models.DateTimeField(_("follow-up call due"), null=True, blank=True)

    class Meta:
        verbose_name = _("sale")
        verbose_name_plural = _("sales")
        indexes = [
            # A customer's sales, newest first: WHERE customer_id = ? ORDER BY signed_at DESC.
            models.Index(fields=["customer", "-signed_at"], name="marketing_sale_customer"),
            # A staff member's sales in a period (plans): WHERE staff_id = ? AND signed_at …
            models.Index(fields=["staff", "signed_at"], name="marketing_sale_staff"),
            # The contact plan's follow-up calls: WHERE follow_up_due_at BETWEEN ? AND ?.
            models.Index(
                fields=["follow_up_due_at"],
                condition=Q(follow_up_due_at__isnull=False),
                name="marketing_sale_follow_up",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="marketing_sale_amount"),
            models.CheckConstraint(
                condition=Q(status="active", cancelled_at__isnull=True)
                | Q(status="cancelled", cancelled_at__isnull=False),
                name="marketing_sale_cancelled",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.product_id} {self.amount}"


class DualRecording(BaseModel):
    """The audio-and-video evidence of a branch sale (S7) and who reviewed it."""

    sale = models.OneToOneField(Sale, on_delete=models.PROTECT, related_name="recording")
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    zone = models.CharField(_("sales zone"), max_length=100)
    consent = models.BooleanField(_("customer consented"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    retain_until = models.DateField(_("retain until"))

    class Meta:
        verbose_name = _("dual recording")
        verbose_name_plural = _("dual recordings")
        constraints = [
            models.CheckConstraint(condition=Q(consent=True), name="marketing_rec_consent"),
        ]

    def __str__(self) -> str:
        return self.file_name


class RecommendationProfile(models.Model):
    """One distinct set of ranking inputs, shared by every customer who has it.

    Kept with its ranked products by ``recommendations_refresh``, which writes a profile
    or an item only when it changed (``refreshed_at``: when it was). ``key`` encodes the
    facts below (see ``recommendations.profile_key``); its meaning holds for one shelf,
    and the refresh re-ranks every profile against the shelf of the day.
    """

    key = models.BigIntegerField(primary_key=True)
    # "" when no product on the shelf targets the customers' tier: all such tiers rank alike.
    tier = models.CharField(max_length=12, blank=True)
    risk_level = models.PositiveSmallIntegerField()  # 0: never assessed
    assessment_valid = models.BooleanField()
    qualified = models.BooleanField()
    branch_ok = models.BooleanField()  # S6: may buy the bank's own WM
    held_kinds = models.IntegerField()  # a bit per kind of holding
    aum_bucket = models.PositiveSmallIntegerField()  # how many of the shelf's minimums AUM reaches
    maturing_bucket = models.PositiveSmallIntegerField()  # the same for money maturing soon
    customers = models.IntegerField()
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("recommendation profile")
        verbose_name_plural = _("recommendation profiles")

    def __str__(self) -> str:
        return f"profile {self.key} ({self.customers})"


class RecommendationProfileItem(models.Model):
    """One of a profile's next best products, with its score, rank and reason."""

    profile = models.ForeignKey(
        RecommendationProfile,
        on_delete=models.CASCADE,
        related_name="items",
        db_index=False,  # the unique (profile, rank) index leads with it
    )
    # Derived and rebuilt in bulk: no database foreign key; the ORM still cascades deletes.
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="+", db_constraint=False, db_index=False
    )
    score = models.IntegerField()
    rank = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=24)
    refreshed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("recommendation profile item")
        verbose_name_plural = _("recommendation profile items")
        constraints = [
            # Serves a customer's list: WHERE profile_id = ? ORDER BY rank (five rows).
            models.UniqueConstraint(
                fields=["profile", "rank"], name="marketing_recommendationprofileitem_rank"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.profile_id} #{self.rank} → {self.product_id} ({self.score})"


class CustomerRecommendationProfile(models.Model):
    """Which profile's ranking a customer is shown; rewritten only when it changes."""

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        db_constraint=False,
    )
    # Kept consistent by the refresh, which writes profiles and customers together; no
    # database key or index (a million rows, checked and indexed for nothing).
    profile = models.ForeignKey(
        RecommendationProfile,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        verbose_name = _("customer's recommendation profile")
        verbose_name_plural = _("customers' recommendation profiles")

    def __str__(self) -> str:
        return f"{self.customer_id} → profile {self.profile_id}"


class RecommendationFacts(models.Model):
    """One customer's ranking inputs as last read from their rows, kept up to date.

    ``recommendations_refresh`` reads the whole bank into this table once; after that it
    reads again only the customers whose rows changed (``RecommendationChange``) or whose
    money moved into or out of the maturity window since the day of its last run, and
    works every customer's profile out of this one narrow table. Dates stay dates (the
    latest assessment's expiry, the latest qualifying evidence): whether they are still
    current is decided on the day of each run.
    """

    customer = models.OneToOneField(
        "customers.Customer",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        db_constraint=False,
    )
    tier = models.CharField(max_length=12)
    aum = models.DecimalField(max_digits=18, decimal_places=2)
    risk_level = models.PositiveSmallIntegerField()  # the latest assessment's; 0: never assessed
    expires_on = models.DateField(null=True)  # the latest assessment's expiry
    assessed = models.BooleanField()
    branch = models.BooleanField()  # some assessment was made at a branch (S6)
    # The latest evidence that qualifies on its basis or the customer's experience (S11).
    qualified_on = models.DateField(null=True)
    bank_wm = models.BooleanField()  # an active purchase of the bank's own WM (S6)
    held_kinds = models.IntegerField()  # a bit per kind of active holding
    # Active holdings maturing in the window from ``RecommendationMark.day``; null: none.
    maturing = models.DecimalField(max_digits=18, decimal_places=2, null=True)
    # The profile key the customer was given last (the one their row names).
    key = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("recommendation facts")
        verbose_name_plural = _("recommendation facts")

    def __str__(self) -> str:
        return f"{self.customer_id} facts"


class RecommendationChange(models.Model):
    """A customer whose holdings, assessments, evidence, purchases, tier or AUM changed.

    Written by database triggers on those tables (whatever client writes them), read
    and emptied by the next ``recommendations_refresh``.
    """

    customer_id = models.BigIntegerField()

    def __str__(self) -> str:
        return str(self.customer_id)


class RecommendationMark(models.Model):
    """What ``RecommendationFacts`` and the stored profiles were last built for.

    The day of the maturity window; the rules and products the facts depend on (a
    change reads the whole bank again); a digest of the shelf and the ranking the
    stored profiles were ranked against (while it holds, only new profiles are ranked).
    """

    day = models.DateField()
    window_days = models.PositiveSmallIntegerField()
    min_experience_years = models.PositiveSmallIntegerField()
    bank_wm_products = models.TextField()
    shelf = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"facts of {self.day}"


class Recommendation(models.Model):
    """Next best products per customer: a database view of each customer's profile's items.

    Read-only (``managed = False``); ``recommendations_refresh`` writes the tables under
    it. Reading one customer's list is two index lookups.
    """

    pk = models.CompositePrimaryKey("customer", "product")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    product = models.ForeignKey(
        Product, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    score = models.IntegerField()
    rank = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=24)
    refreshed_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "marketing_recommendation"
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")

    def __str__(self) -> str:
        return f"{self.customer_id} → {self.product_id} ({self.score})"


class Campaign(BaseModel):
    """A marketing campaign over a segment; the target list is frozen at launch."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LAUNCHED = "launched", _("Launched")
        CLOSED = "closed", pgettext_lazy("marketing", "Closed")

    name = models.CharField(_("name"), max_length=200)
    # Segment rules: {"tiers": [...], "aum_min": "…", "aum_max": "…", "holding_types": [...],
    # "risk_levels": [...], "org_unit_id": …, "kinds": [...], "signals": [...],
    # "signal_days": …}. Consent is always required.
    rules = models.JSONField(_("segment rules"), default=dict)
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, null=True, blank=True, related_name="campaigns"
    )
    talking_points = models.TextField(_("talking points"), blank=True)
    materials = models.CharField(_("approved materials"), max_length=500, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    launched_at = models.DateTimeField(_("launched at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="marketing_campaign_dates"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CampaignEntry(models.Model):
    """A frozen target of a launched campaign, assigned to the customer's manager."""

    class Stage(models.TextChoices):
        TARGETED = "targeted", _("Targeted")
        TOUCHED = "touched", _("Contacted")
        CONVERTED = "converted", pgettext_lazy("campaign", "Converted")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="entries")
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.TARGETED)
    touches = models.PositiveIntegerField(default=0)
    last_touched_at = models.DateTimeField(null=True, blank=True)
    converted_sale = models.ForeignKey(
        Sale, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("campaign target")
        verbose_name_plural = _("campaign targets")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], name="marketing_campaignentry_unique"
            ),
        ]
        indexes = [
            # A manager's targets: WHERE manager_id = ? AND campaign_id = ?.
            models.Index(fields=["manager", "campaign"], name="marketing_centry_manager"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id}"


class PlanTarget(BaseModel):
    """A marketing objective for an org unit or a manager over a period.

    Branch targets are cascaded to their managers (``parent``); progress is computed
    from the data by ``selectors.plan_progress``, never typed in.
    """

    class Metric(models.TextChoices):
        AUM_GROWTH = "aum_growth", _("AUM growth (CNY)")
        NEW_CUSTOMERS = "new_customers", _("New customers")
        SALES = "sales", _("Product sales (CNY)")

    org_unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    metric = models.CharField(_("objective"), max_length=16, choices=Metric.choices)
    # For sales: the product type counted (blank: every type).
    product_type = models.CharField(
        _("product type"), max_length=24, choices=Product.Type.choices, blank=True
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    target = models.DecimalField(_("target"), max_digits=18, decimal_places=2)
    baseline = models.DecimalField(_("starting AUM"), max_digits=18, decimal_places=2, default=ZERO)

    class Meta:
        verbose_name = _("plan target")
        verbose_name_plural = _("plan targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="marketing_plan_dates"
            ),
            models.CheckConstraint(condition=Q(target__gt=0), name="marketing_plan_target"),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.period_start}–{self.period_end}"


class Requirement(BaseModel):
    """A customer need no product on the shelf meets, routed to the product department."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the product department")
        ANSWERED = "answered", _("Answered")

    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="+")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Groups similar requirements: e.g. "wm_private:equity:365".
    topic = models.CharField(_("topic"), max_length=100)
    description = models.TextField(_("what the customer needs"))
    amount = models.DecimalField(
        _("amount in mind (CNY)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="open")
    answer = models.TextField(_("product department's answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # The coordination work order that carries the requirement to the product department.
    work_order = models.ForeignKey(
        "coordination.WorkOrder",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requirements",
    )

    class Meta:
        verbose_name = _("customer requirement")
        verbose_name_plural = _("customer requirements")
        indexes = [models.Index(fields=["topic"], name="marketing_requirement_topic")]

    def __str__(self) -> str:
        return self.topic
