from __future__ import annotations

from typing import Any

from ninja import Schema

from rmdesk.api.schemas import PageMeta
from rmdesk.customers.models import Customer
from rmdesk.customers.selectors import customer_display_name
from rmdesk.org.policy import sees_personal_data_unmasked
from rmdesk.org.schemas import OrgUnitRef, StaffRef


class CustomerOut(Schema):
    id: int
    customer_no: str
    kind: str
    display_name: str
    name_masked: bool
    home_unit: OrgUnitRef
    primary_manager: StaffRef | None

    @staticmethod
    def resolve_display_name(obj: Customer, context: dict[str, Any]) -> str:
        return customer_display_name(actor=context["request"].auth, customer=obj)

    @staticmethod
    def resolve_name_masked(obj: Customer, context: dict[str, Any]) -> bool:
        return obj.kind != Customer.Kind.CORPORATE and not sees_personal_data_unmasked(
            context["request"].auth, primary_manager_id=obj.primary_manager_id
        )


class CustomerPageOut(Schema):
    items: list[CustomerOut]
    page: PageMeta
