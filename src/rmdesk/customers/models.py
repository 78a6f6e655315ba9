"""Customers and what the bank knows about them.

A customer is one row whatever its kind: the fields of individuals and of
companies sit side by side (most are empty for the other kind), so the 360 view
reads one row and never joins a profile table. Identifier numbers are stored
normalised; lookups go through keyed digests (``*_digest``), so the numbers
themselves are never indexed.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rmdesk.core.models import BaseModel

ZERO = Decimal("0")


class Tier(models.TextChoices):
    MASS = "mass", _("Mass")
    SILVER = "silver", _("Silver")
    GOLD = "gold", _("Gold")
    DIAMOND = "diamond", _("Diamond")
    PRIVATE = "private", _("Private banking")


# DOMAIN.md §4: (tier, from AUM in CNY, months below before a downgrade). A bank
# changes them in TierRule; these apply while it has configured none.
DEFAULT_TIER_RULES = (
    (Tier.MASS, Decimal("0"), 3),
    (Tier.SILVER, Decimal("50000"), 3),
    (Tier.GOLD, Decimal("500000"), 3),
    (Tier.DIAMOND, Decimal("1000000"), 3),
    (Tier.PRIVATE, Decimal("8000000"), 6),
)


class Customer(BaseModel):
    """A customer of the bank: a person or a company, homed in one org unit."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        CORPORATE = "corporate", _("Corporate")

    class IdType(models.TextChoices):
        RESIDENT_ID = "resident_id", _("Resident identity card")
        PASSPORT = "passport", _("Passport")
        HK_MACAO_PERMIT = "hk_macao_permit", _("Mainland travel permit (Hong Kong, Macao)")
        TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit (Taiwan)")
        FOREIGN_PERMANENT = "foreign_permanent", _("Foreigner's permanent residence card")
        USCC = "uscc", _("Unified social credit code")

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")

    class Marital(models.TextChoices):
        SINGLE = "single", _("Single")
        MARRIED = "married", _("Married")
        DIVORCED = "divorced", _("Divorced")
        WIDOWED = "widowed", _("Widowed")

    class Size(models.TextChoices):
        MICRO = "micro", _("Micro")
        SMALL = "small", _("Small")
        MEDIUM = "medium", _("Medium")
        LARGE = "large", _("Large")

    class GroupRole(models.TextChoices):
        PARENT = "parent", _("Parent company")
        SUBSIDIARY = "subsidiary", _("Subsidiary")

    class RiskLevel(models.IntegerChoices):
        C1 = 1, _("C1 conservative")
        C2 = 2, _("C2 cautious")
        C3 = 3, _("C3 balanced")
        C4 = 4, _("C4 growth")
        C5 = 5, _("C5 aggressive")

    # Unique through the named constraint below (no pattern-ops copy: nothing searches it
    # by prefix).
    customer_no = models.CharField(_("customer number"), max_length=32)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    display_name = models.CharField(_("name"), max_length=200)
    home_unit = models.ForeignKey(
        "org.OrgUnit",
        on_delete=models.PROTECT,
        related_name="customers",
        verbose_name=_("home org unit"),
        # Indexed as the prefix of (home_unit, display_name, id).
        db_index=False,
    )
    # The lead manager (主办) and, where there is one, the assisting manager (协办).
    # The assignment history is in CustomerAssignment; these are its open rows.
    primary_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("account manager"),
        # Indexed as the prefix of (primary_manager, display_name, id).
        db_index=False,
    )
    assisting_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assisted_customers",
        verbose_name=_("assisting manager"),
        # Indexed where set (customers_cust_assisting): the only values looked up.
        db_index=False,
    )
    # Optimistic lock: every edit must name the version it read.
    version = models.PositiveIntegerField(default=1)

    # Identity and contact.
    id_type = models.CharField(
        _("identity document"), max_length=24, choices=IdType.choices, blank=True
    )
    id_number = models.CharField(_("identity number"), max_length=32, blank=True)
    id_digest = models.CharField(max_length=64, blank=True, editable=False)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    mobile_digest = models.CharField(max_length=64, blank=True, editable=False)
    email = models.EmailField(_("e-mail"), blank=True)
    province = models.CharField(_("province"), max_length=32, blank=True)
    city = models.CharField(_("city"), max_length=32, blank=True)
    district = models.CharField(_("district"), max_length=32, blank=True)
    address = models.CharField(_("street address"), max_length=200, blank=True)

    # Individuals.
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    nationality = models.CharField(_("nationality"), max_length=2, blank=True, default="CN")
    occupation = models.CharField(_("occupation"), max_length=64, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    marital_status = models.CharField(
        _("marital status"), max_length=12, choices=Marital.choices, blank=True
    )

    # Companies.
    industry = models.CharField(_("industry"), max_length=64, blank=True)
    size = models.CharField(_("size"), max_length=8, choices=Size.choices, blank=True)
    registered_capital = models.DecimalField(
        _("registered capital (CNY)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    legal_representative = models.CharField(_("legal representative"), max_length=100, blank=True)
    group = models.ForeignKey(
        "customers.CorporateGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("corporate group"),
    )
    group_role = models.CharField(
        _("role in group"), max_length=12, choices=GroupRole.choices, blank=True
    )

    # Consent: marketing needs a yes; do-not-contact silences everything but service.
    marketing_consent = models.BooleanField(_("agrees to marketing contact"), default=False)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)

    # Derived: kept by services from holdings (never edited directly).
    aum = models.DecimalField(_("AUM (CNY)"), max_digits=18, decimal_places=2, default=ZERO)
    liabilities = models.DecimalField(
        _("liabilities (CNY)"), max_digits=18, decimal_places=2, default=ZERO
    )
    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices, default=Tier.MASS)
    tier_since = models.DateField(_("tier since"), null=True, blank=True)
    # Kept by the marketing app's risk assessments.
    risk_level = models.PositiveSmallIntegerField(
        _("risk tolerance"), choices=RiskLevel.choices, null=True, blank=True
    )
    risk_expires_on = models.DateField(_("risk assessment expires"), null=True, blank=True)

    # Name search: CJK characters and their bigrams, Latin words, space-separated
    # (see customers.search); indexed by full-text search on both databases.
    search_tokens = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            # A manager's book in list order: WHERE primary_manager_id = ? ORDER BY name, id.
            models.Index(
                fields=["primary_manager", "display_name", "id"], name="customers_cust_manager_name"
            ),
            # Customers a manager assists: WHERE assisting_manager_id = ?.
            models.Index(
                fields=["assisting_manager"],
                name="customers_cust_assisting",
                condition=Q(assisting_manager__isnull=False),
            ),
            # A subtree's customers in list order: WHERE home_unit_id IN (…) ORDER BY name, id.
            models.Index(
                fields=["home_unit", "display_name", "id"], name="customers_cust_unit_name"
            ),
            # The whole bank in list order (view-all roles).
            models.Index(fields=["display_name", "id"], name="customers_cust_name"),
            # Exact lookups by identity number or mobile: WHERE id_digest = ?.
            models.Index(
                fields=["id_digest"], name="customers_cust_id_digest", condition=~Q(id_digest="")
            ),
            models.Index(
                fields=["mobile_digest"],
                name="customers_cust_mobile_digest",
                condition=~Q(mobile_digest=""),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["customer_no"], name="customers_customer_no_unique"),
            models.CheckConstraint(condition=Q(version__gte=1), name="customers_cust_version"),
            models.CheckConstraint(condition=Q(aum__gte=0), name="customers_cust_aum_nonneg"),
            models.CheckConstraint(
                condition=Q(liabilities__gte=0), name="customers_cust_liabilities_nonneg"
            ),
            models.CheckConstraint(
                condition=Q(assisting_manager__isnull=True)
                | ~Q(assisting_manager=models.F("primary_manager")),
                name="customers_cust_two_managers",
            ),
        ]

    def __str__(self) -> str:
        return self.customer_no


class CorporateGroup(BaseModel):
    """Companies that belong together: a parent and its subsidiaries."""

    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("corporate group")
        verbose_name_plural = _("corporate groups")

    def __str__(self) -> str:
        return self.name


class Household(BaseModel):
    """A family that banks together. A customer belongs to one household at most."""

    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.name


class HouseholdMember(BaseModel):
    class Role(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        OTHER = "other", _("Other relative")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    customer = models.OneToOneField(
        Customer, on_delete=models.PROTECT, related_name="household_membership"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")

    def __str__(self) -> str:
        return f"{self.household} {self.role}"


class KeyPerson(BaseModel):
    """Someone who matters in a company: legal representative, finance head, shareholder…

    Where the person is also an individual customer, ``person`` links them.
    """

    class Role(models.TextChoices):
        LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative")
        ACTUAL_CONTROLLER = "actual_controller", _("Actual controller")
        FINANCE_HEAD = "finance_head", _("Head of finance")
        SHAREHOLDER = "shareholder", _("Shareholder")
        CONTACT = "contact", _("Contact")

    company = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="key_people")
    person = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="key_roles",
    )
    name = models.CharField(_("name"), max_length=100)
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    share_pct = models.DecimalField(
        _("shareholding (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("key person")
        verbose_name_plural = _("key people")
        constraints = [
            models.CheckConstraint(
                condition=Q(share_pct__isnull=True) | Q(share_pct__gte=0, share_pct__lte=100),
                name="customers_keyperson_share_pct",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} {self.role}"


class Referral(BaseModel):
    """Who brought a customer to the bank: another customer or a member of staff."""

    referred = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="referred_by")
    referrer_customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    referrer_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    referred_on = models.DateField(_("referred on"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=Q(referrer_customer__isnull=False) | Q(referrer_staff__isnull=False),
                name="customers_referral_has_referrer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referred} ← {self.referrer_customer or self.referrer_staff}"


class CustomerLink(models.Model):
    """A key person or referral as seen from one end of it: the 360's read of relationships.

    ``KeyPerson`` and ``Referral`` are the record; database triggers (migration 0005)
    keep one row here for each end that is a customer, under that customer's id: a
    company's key people and a person's key roles, who referred a customer and whom a
    customer referred. So the 360 reads every one of them by the shown customer's id,
    without joining two customers' rows (one shard under Citus, docs/scale.md). Never
    written by the application.
    """

    class Kind(models.TextChoices):
        KEY_PERSON = "key_person"  # customer = the company, other = the person (if a customer)
        KEY_ROLE = "key_role"  # customer = the person, other = the company
        REFERRED_BY = "referred_by"  # customer = the one referred, other = the referrer
        REFERRAL = "referral"  # customer = the referrer, other = the one referred

    # Indexed first in customers_link_customer.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # The KeyPerson or Referral row this mirrors.
    source_id = models.BigIntegerField()
    other = models.ForeignKey(
        Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # A key person who is not a customer is known by name only.
    name = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=24, blank=True)
    share_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    referred_on = models.DateField(null=True, blank=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        indexes = [
            # The 360: WHERE customer_id = ? ORDER BY kind, source_id.
            models.Index(fields=["customer", "kind", "source_id"], name="customers_link_customer"),
        ]
        constraints = [
            # The triggers find a source row's mirrors by (kind, source_id).
            models.UniqueConstraint(
                fields=["kind", "source_id", "customer"], name="customers_link_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind} {self.other_id or self.name}"


class Holding(BaseModel):
    """An account or position a customer holds: deposits, products, loans, cards.

    ``account_no`` is the core banking system's key. Balances are in the holding's
    currency; ``balance_cny`` is what AUM and liabilities add up.
    """

    class ProductType(models.TextChoices):
        DEMAND_DEPOSIT = "demand_deposit", _("Demand deposit")
        TIME_DEPOSIT = "time_deposit", _("Time deposit")
        STRUCTURED_DEPOSIT = "structured_deposit", _("Structured deposit")
        WEALTH = "wealth", _("Wealth-management product")
        FUND = "fund", _("Fund")
        INSURANCE = "insurance", _("Insurance (agency)")
        BOND = "bond", _("Bond")
        PRECIOUS_METAL = "precious_metal", _("Precious metal")
        LOAN = "loan", _("Loan")
        CREDIT_CARD = "credit_card", _("Credit card")

    LIABILITY_TYPES = frozenset({ProductType.LOAN, ProductType.CREDIT_CARD})

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    # No index of its own: (customer, product_type) below serves every lookup by customer.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="holdings", db_index=False
    )
    # Unique by a constraint (no pattern-ops index: nothing searches it by prefix).
    account_no = models.CharField(_("account number"), max_length=40)
    product_type = models.CharField(_("product type"), max_length=24, choices=ProductType.choices)
    product_code = models.CharField(_("product code"), max_length=40, blank=True)
    product_name = models.CharField(_("product"), max_length=200, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    balance = models.DecimalField(_("balance"), max_digits=18, decimal_places=2)
    balance_cny = models.DecimalField(_("balance (CNY)"), max_digits=18, decimal_places=2)
    opened_on = models.DateField(_("opened on"))
    matures_on = models.DateField(_("matures on"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )

    class Meta:
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")
        indexes = [
            # A customer's holdings (the 360 view, AUM refresh): WHERE customer_id = ?.
            models.Index(fields=["customer", "product_type"], name="customers_holding_customer"),
            # Maturities coming up: WHERE status = 'active' AND matures_on BETWEEN ? AND ?.
            models.Index(
                fields=["matures_on"],
                name="customers_holding_maturity",
                condition=Q(matures_on__isnull=False, status="active"),
            ),
        ]
        constraints = [
            # The core system's account number: the key imports merge on (ON CONFLICT).
            models.UniqueConstraint(fields=["account_no"], name="customers_holding_account_unique"),
            models.CheckConstraint(condition=Q(balance__gte=0), name="customers_holding_balance"),
            models.CheckConstraint(
                condition=Q(balance_cny__gte=0), name="customers_holding_balance_cny"
            ),
        ]

    def __str__(self) -> str:
        return self.account_no

    @property
    def is_liability(self) -> bool:
        return self.product_type in self.LIABILITY_TYPES


class Transaction(models.Model):
    """A booked movement of money on a customer's account, as the core system reports it.

    Append-mostly and large (a year per customer); later issues mine it for signals.
    """

    class Kind(models.TextChoices):
        SALARY = "salary", _("Salary")
        SPENDING = "spending", _("Spending")
        TRANSFER_IN = "transfer_in", _("Transfer in")
        TRANSFER_OUT = "transfer_out", _("Transfer out")
        TRANSFER_OUT_OTHER_BANK = "transfer_out_other_bank", _("Transfer to another bank")
        LARGE_INFLOW = "large_inflow", _("Large inflow")
        INTEREST = "interest", _("Interest")
        PRODUCT_PURCHASE = "product_purchase", _("Product purchase")
        PRODUCT_REDEMPTION = "product_redemption", _("Product redemption")

    id = models.BigAutoField(primary_key=True)
    # Unique by a constraint, not ``unique=True``: that would add a second, pattern-ops
    # index on PostgreSQL that no query uses and every import has to maintain.
    txn_ref = models.CharField(_("transaction reference"), max_length=40)
    # No index of its own: (customer, -booked_on) below serves every lookup by customer.
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="transactions", db_index=False
    )
    account_no = models.CharField(_("account number"), max_length=40)
    booked_on = models.DateField(_("booked on"))
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    # Signed: inflows positive, outflows negative.
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    counterparty = models.CharField(_("counterparty"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        indexes = [
            # A customer's recent movements: WHERE customer_id = ? ORDER BY booked_on DESC.
            models.Index(fields=["customer", "-booked_on"], name="customers_txn_customer_date"),
        ]
        constraints = [
            # The core system's reference: the key imports merge on (ON CONFLICT).
            models.UniqueConstraint(fields=["txn_ref"], name="customers_txn_ref_unique"),
        ]

    def __str__(self) -> str:
        return self.txn_ref


class TierRule(BaseModel):
    """The bank's tier thresholds (monthly average AUM, CNY). Edited by administrators."""

    tier = models.CharField(_("tier"), max_length=12, choices=Tier.choices, unique=True)
    min_aum = models.DecimalField(_("from AUM (CNY)"), max_digits=18, decimal_places=2)
    hold_months = models.PositiveSmallIntegerField(_("months below before a downgrade"), default=3)

    class Meta:
        verbose_name = _("tier rule")
        verbose_name_plural = _("tier rules")
        ordering = ["min_aum"]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} ≥ {self.min_aum}"


class TierChange(models.Model):
    """One entry of a customer's tier history."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.CharField(max_length=12, choices=Tier.choices, blank=True)
    to_tier = models.CharField(max_length=12, choices=Tier.choices)
    aum = models.DecimalField(max_digits=18, decimal_places=2)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        indexes = [
            models.Index(fields=["customer", "-changed_at"], name="customers_tierchange_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_tier} → {self.to_tier}"


class CustomerAssignment(models.Model):
    """Who served a customer, in which role, from when to when: the assignment history."""

    class Role(models.TextChoices):
        LEAD = "lead", _("Lead manager")
        ASSISTING = "assisting", _("Assisting manager")

    # Indexed as the prefix of (customer, -started_at).
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    transfer = models.ForeignKey(
        "customers.TransferRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assignments",
    )
    note = models.CharField(_("handover note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        indexes = [
            models.Index(fields=["customer", "-started_at"], name="customers_assign_customer"),
        ]
        constraints = [
            # At most one open assignment per customer and role.
            models.UniqueConstraint(
                fields=["customer", "role"],
                condition=Q(ended_at__isnull=True),
                name="customers_assign_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.role} {self.manager_id}"


class TransferRequest(BaseModel):
    """A request to hand customers from one manager to another, approved by a head."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    from_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    to_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Where set, the new manager leads and this one assists (主办/协办).
    to_assisting_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("transfer request")
        verbose_name_plural = _("transfer requests")
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_manager=models.F("to_manager")),
                name="customers_transfer_other_manager",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.from_manager_id} → {self.to_manager_id}"


class TransferItem(models.Model):
    request = models.ForeignKey(TransferRequest, on_delete=models.CASCADE, related_name="items")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("handover note"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["request", "customer"], name="customers_transferitem_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.customer_id}"


class RevealGrant(models.Model):
    """A short-lived permission to see one field of one customer in full, given by a reveal."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(max_length=32)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [
            # Active grants for a viewer and customer (the 360 view).
            models.Index(
                fields=["staff", "customer", "expires_at"], name="customers_reveal_lookup"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff_id} {self.customer_id} {self.field}"
