"""The needs a manager can record, as the issue lists them; the bank edits them later."""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

NEEDS = [
    ("wealth_growth", "Wealth growth", "财富增值"),
    ("education", "Education", "子女教育"),
    ("retirement", "Retirement", "养老规划"),
    ("housing_loan", "Housing loan", "住房贷款"),
    ("business_loan", "Business loan", "经营贷款"),
    ("payroll", "Payroll", "代发工资"),
    ("settlement", "Settlement", "结算服务"),
    ("insurance", "Insurance", "保险保障"),
    ("cross_border", "Cross-border", "跨境金融"),
]


def seed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    NeedCategory = apps.get_model("contact", "NeedCategory")
    for order, (code, name_en, name_zh) in enumerate(NEEDS, start=1):
        NeedCategory.objects.update_or_create(
            code=code, defaults={"name_en": name_en, "name_zh": name_zh, "sort_order": order * 10}
        )


def unseed(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    NeedCategory = apps.get_model("contact", "NeedCategory")
    NeedCategory.objects.filter(code__in=[code for code, *_ in NEEDS]).delete()


class Migration(migrations.Migration):
    dependencies = [("contact", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
