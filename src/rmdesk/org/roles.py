"""The roles a member of staff can hold. What each role may see is in ``policy``."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ACCOUNT_MANAGER = "account_manager", _("Account manager")
    TEAM_LEAD = "team_lead", _("Team lead")
    SUBBRANCH_HEAD = "subbranch_head", _("Sub-branch head")
    BRANCH_HEAD = "branch_head", _("Branch head")
    DEPARTMENT_OFFICER = "department_officer", _("Department officer")
    HQ_ANALYST = "hq_analyst", _("Head-office analyst")
    COMPLIANCE_AUDITOR = "compliance_auditor", _("Compliance auditor")
    ADMINISTRATOR = "administrator", _("Administrator")
