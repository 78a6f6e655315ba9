"""Append-only records: what changed (AuditEvent) and who saw personal data (AccessLog).

Rows are only ever inserted. The model refuses save-on-update and delete, the
queryset refuses update and delete, and a database trigger refuses UPDATE (and
DELETE on PostgreSQL) from any client. Each row carries the hash of the previous
row of its chain, so an edit made around the application breaks the chain and
``rmdesk audit-verify`` finds it.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    pass


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be changed.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be deleted.")


class ChainedRecord(models.Model):
    created_at = models.DateTimeField(_("when"), editable=False, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    # Snapshots: what the actor was at the time, whatever they become later.
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    actor_roles = models.CharField(_("roles"), max_length=255, blank=True)
    actor_org_unit = models.CharField(_("org unit"), max_length=32, blank=True)
    ip_address = models.CharField(_("from address"), max_length=45, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    chain = models.PositiveSmallIntegerField(editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted.")


class AuditEvent(ChainedRecord):
    """A state change made through a service: ``action`` is ``app.entity.verb``."""

    action = models.CharField(_("action"), max_length=100)
    target_type = models.CharField(_("record type"), max_length=100)
    target_id = models.CharField(_("record id"), max_length=64)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            # The chain's tail: the last hash of a chain when appending.
            models.Index(fields=["chain", "-id"], name="audit_auditevent_chain_tail"),
            # "What happened to this record", newest first.
            models.Index(
                fields=["target_type", "target_id", "-id"], name="audit_auditevent_target"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action}"


class AccessLog(ChainedRecord):
    """Someone viewed, exported or unmasked a customer's personal data."""

    class Action(models.TextChoices):
        VIEW = "view", _("Viewed")
        EXPORT = "export", _("Exported")
        UNMASK = "unmask", _("Unmasked")

    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    channel = models.CharField(_("channel"), max_length=16)  # web, api, export…
    target_type = models.CharField(_("record type"), max_length=100)
    target_id = models.CharField(_("record id"), max_length=64)
    customer_id = models.BigIntegerField(_("customer"), null=True, blank=True)
    fields = models.CharField(_("fields"), max_length=255, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("personal-data access")
        verbose_name_plural = _("personal-data access log")
        indexes = [
            models.Index(fields=["chain", "-id"], name="audit_accesslog_chain_tail"),
            # "Who looked at this customer", newest first.
            models.Index(fields=["customer_id", "-id"], name="audit_accesslog_customer"),
            # "What did this person look at", newest first.
            models.Index(fields=["actor", "-id"], name="audit_accesslog_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username} {self.action}"


class RowChange(models.Model):
    """A row of a tracked table inserted, updated or deleted, written by a database trigger.

    The triggers (``rmdesk.audit.history``) see every write, whatever issued it: a
    service, ``queryset.update()``, ``bulk_create``, the importer's merge or raw SQL.
    ``fields`` names the columns an update changed; ``old`` holds their earlier values,
    except personal columns (identity number, mobile, name…), which are named only, so
    the history keeps no copy of personal data. ``actor`` is the signed-in user when the
    write came through rmdesk (``history.change_actor``), NULL for other clients.
    """

    class Operation(models.TextChoices):
        INSERT = "insert", _("Inserted")
        UPDATE = "update", _("Updated")
        DELETE = "delete", _("Deleted")

    table_name = models.CharField(_("table"), max_length=63)
    row_id = models.BigIntegerField(_("record id"))
    operation = models.CharField(_("operation"), max_length=6, choices=Operation.choices)
    fields = models.JSONField(_("changed fields"), default=list, blank=True)
    old = models.JSONField(_("earlier values"), null=True, blank=True)
    at = models.DateTimeField(_("when"))
    # No database constraint: the trigger writes whatever id the session names, and a
    # history row must never make the change it records fail.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )

    class Meta:
        verbose_name = _("row change")
        verbose_name_plural = _("row changes")
        indexes = [
            # "What happened to this record", newest first.
            models.Index(fields=["table_name", "row_id", "-id"], name="audit_rowchange_row"),
        ]

    def __str__(self) -> str:
        return f"{self.table_name} {self.row_id} {self.operation}"
