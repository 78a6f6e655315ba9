"""Data: the default tier thresholds (DOMAIN.md §4) and name tokens for existing customers."""

from decimal import Decimal

from django.db import migrations

DEFAULT_TIERS = [
    ("mass", Decimal("0"), 3),
    ("silver", Decimal("50000"), 3),
    ("gold", Decimal("500000"), 3),
    ("diamond", Decimal("1000000"), 3),
    ("private", Decimal("8000000"), 6),
]


def forwards(apps, schema_editor):
    from rmdesk.customers.search import name_tokens

    TierRule = apps.get_model("customers", "TierRule")
    for tier, min_aum, hold in DEFAULT_TIERS:
        TierRule.objects.get_or_create(tier=tier, defaults={"min_aum": min_aum, "hold_months": hold})
    Customer = apps.get_model("customers", "Customer")
    batch = []
    for customer in Customer.objects.only("id", "display_name").iterator(chunk_size=2000):
        customer.search_tokens = name_tokens(customer.display_name)
        batch.append(customer)
        if len(batch) == 2000:
            Customer.objects.bulk_update(batch, ["search_tokens"])
            batch = []
    Customer.objects.bulk_update(batch, ["search_tokens"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_name_search_index")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
