"""Triggers noting the customers whose recommendation inputs change.

On the holdings, assessments, qualified-investor evidence, sales and the customers'
tier and AUM (``rmdesk.marketing.recommendation_changes``), whatever client writes them.
"""

from django.db import migrations

from rmdesk.marketing import recommendation_changes


def forwards(apps, schema_editor):
    for table in recommendation_changes.WATCHED:
        recommendation_changes.install(schema_editor, table)


def backwards(apps, schema_editor):
    for table in recommendation_changes.WATCHED:
        recommendation_changes.uninstall(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0009_customer_indexes"),
        ("marketing", "0007_recommendation_facts"),
    ]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
