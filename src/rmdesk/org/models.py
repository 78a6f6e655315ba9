from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from rmdesk.core.models import BaseModel
from rmdesk.org.roles import Role


class OrgUnit(BaseModel):
    """A node of the bank's tree: head office → branches → sub-branches → outlets.

    ``path`` is the materialised path of primary keys (``/1/4/13/``), so a subtree
    is one indexed prefix match and never a recursive walk.
    """

    class Kind(models.TextChoices):
        HEAD_OFFICE = "head_office", _("Head office")
        BRANCH = "branch", _("Branch")
        SUB_BRANCH = "sub_branch", _("Sub-branch")
        OUTLET = "outlet", _("Outlet")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        ordering = ["path"]
        indexes = [
            # Subtree queries: WHERE path LIKE '/1/4/%' (prefix scan on PostgreSQL).
            models.Index(
                fields=["path"], name="org_orgunit_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Department(BaseModel):
    """A department of an org unit: front office, risk, credit approval, operations…"""

    class Kind(models.TextChoices):
        RETAIL_FRONT = "retail_front", _("Retail banking (front office)")
        CORPORATE_FRONT = "corporate_front", _("Corporate banking (front office)")
        FINANCIAL_MARKETS = "financial_markets", _("Financial markets")
        WEALTH_PRODUCT = "wealth_product", _("Wealth management and products")
        RISK = "risk", _("Risk management")
        CREDIT_APPROVAL = "credit_approval", _("Credit approval")
        COMPLIANCE = "compliance", _("Legal and compliance")
        OPERATIONS = "operations", _("Operations")
        IT = "it", _("Information technology")

    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="departments")
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["org_unit", "kind"], name="org_department_unique_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.org_unit.name} {self.name}"


class StaffManager(UserManager["Staff"]):
    pass


class Staff(AbstractUser):
    """A member of the bank's staff who signs in to rmdesk."""

    display_name = models.CharField(_("name"), max_length=100, blank=True)
    employee_no = models.CharField(_("employee number"), max_length=32, blank=True)
    org_unit = models.ForeignKey(
        OrgUnit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("org unit"),
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("department"),
    )
    line_manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("line manager"),
    )

    objects = StaffManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.display_name or self.username

    @cached_property
    def role_codes(self) -> frozenset[str]:
        """The staff member's roles; read once per request (a role change applies on the next)."""
        if self.pk is None:
            return frozenset()
        return frozenset(self.roles.values_list("role", flat=True))

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.role_codes for role in roles)

    def remember_role_codes(self, joined: str | None) -> None:
        """Take the roles from a column ``role_list_of`` read with the row (one query less)."""
        self.__dict__["role_codes"] = frozenset(filter(None, (joined or "").split(",")))


class _JoinedRoles(models.Aggregate):
    """The role codes of one staff member joined by commas (role codes hold no comma)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = models.CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra)


def role_list_of(staff_ref: str) -> models.Subquery:
    """A column holding the roles of the staff member at ``staff_ref`` (e.g. ``"staff_id"``),
    for ``Staff.remember_role_codes``: a request that reads its user with it saves the
    separate read of the roles."""
    return models.Subquery(
        StaffRole.objects.filter(staff_id=models.OuterRef(staff_ref))
        .order_by()
        .values("staff_id")
        .annotate(joined=_JoinedRoles("role"))
        .values("joined")
    )


class StaffRole(BaseModel):
    staff = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)

    class Meta:
        verbose_name = _("role held")
        verbose_name_plural = _("roles held")
        constraints = [
            models.UniqueConstraint(fields=["staff", "role"], name="org_staffrole_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.staff} — {self.get_role_display()}"
