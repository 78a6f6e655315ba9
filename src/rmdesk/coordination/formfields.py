"""A work-order type's own form fields: their definition checked when a type is saved,
and a work order's answers checked against it when the work order is raised."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from rmdesk.core.errors import DomainError

FIELD_TYPES = ("text", "number", "decimal", "date", "choice", "bool")
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")
MAX_TEXT = 2000


def definitions_check(definitions: Any) -> list[dict[str, Any]]:
    """A type's field list, or DomainError("invalid_field_definition") naming the fault."""
    if not isinstance(definitions, list):
        raise DomainError(_("Field definitions must be a list."), code="invalid_field_definition")
    seen: set[str] = set()
    for index, item in enumerate(definitions):
        where = {"field": f"fields[{index}]"}
        if not isinstance(item, dict):
            raise DomainError(
                _("Each field definition is an object."),
                code="invalid_field_definition",
                details=where,
            )
        name = item.get("name")
        if not isinstance(name, str) or not name or not set(name) <= NAME_CHARS or name in seen:
            raise DomainError(
                _("Each field needs a unique lower-case name."),
                code="invalid_field_definition",
                details=where,
            )
        seen.add(name)
        if item.get("type", "text") not in FIELD_TYPES:
            raise DomainError(
                _("Unknown field type."), code="invalid_field_definition", details=where
            )
        if item.get("type") == "choice" and not item.get("choices"):
            raise DomainError(
                _("A choice field needs choices."), code="invalid_field_definition", details=where
            )
    return definitions


def _number(raw: Any, kind: str) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError
    value = Decimal(str(raw).strip())
    if not value.is_finite():
        raise ValueError
    if kind == "number" and value != value.to_integral_value():
        raise ValueError
    return value


def answers_clean(definitions: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    """The answers, typed and JSON-able; DomainError("invalid_fields") lists every fault."""
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    known = {item["name"] for item in definitions}
    for name in answers:
        if name not in known:
            errors.append({"field": name, "reason": _("This field is not part of the form.")})
    for item in definitions:
        name, kind = item["name"], item.get("type", "text")
        raw = answers.get(name)
        if raw is None or raw == "":
            if item.get("required") and kind != "bool":
                errors.append({"field": name, "reason": _("This field is required.")})
            continue
        try:
            if kind in ("number", "decimal"):
                value = _number(raw, kind)
                low, high = item.get("min"), item.get("max")
                if low is not None and value < Decimal(str(low)):
                    errors.append({"field": name, "reason": _("At least %(min)s.") % {"min": low}})
                    continue
                if high is not None and value > Decimal(str(high)):
                    errors.append({"field": name, "reason": _("At most %(max)s.") % {"max": high}})
                    continue
                clean[name] = int(value) if kind == "number" else str(value)
            elif kind == "date":
                clean[name] = dt.date.fromisoformat(str(raw)).isoformat()
            elif kind == "bool":
                if isinstance(raw, bool):
                    clean[name] = raw
                elif str(raw).lower() in ("1", "true", "on", "yes"):
                    clean[name] = True
                elif str(raw).lower() in ("0", "false", "off", "no"):
                    clean[name] = False
                else:
                    raise ValueError
            elif kind == "choice":
                choices = [str(choice) for choice in item.get("choices", [])]
                if str(raw) not in choices:
                    errors.append({"field": name, "reason": _("Choose one of the options.")})
                    continue
                clean[name] = str(raw)
            else:
                text = str(raw).strip()
                limit = int(item.get("max") or MAX_TEXT)
                if len(text) > limit:
                    errors.append(
                        {"field": name, "reason": _("At most %(max)s characters.") % {"max": limit}}
                    )
                    continue
                if item.get("required") and not text:
                    errors.append({"field": name, "reason": _("This field is required.")})
                    continue
                clean[name] = text
        except (ValueError, InvalidOperation, TypeError):
            errors.append({"field": name, "reason": _("Not a valid value.")})
    if errors:
        raise DomainError(
            _("Some fields of the form are not valid."), code="invalid_fields", details=errors
        )
    return clean
