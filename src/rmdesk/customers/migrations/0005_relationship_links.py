"""Key people and referrals mirrored under each customer they concern (CustomerLink).

Triggers on customers_keyperson and customers_referral keep the mirror on both
databases, whoever writes (services, the admin, the demo's COPY, imports); the
existing rows are copied once here.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COLUMNS = (
    "customer_id, kind, source_id, other_id, name, role, share_pct, referred_on, staff_id"
)
# (source table, kinds it mirrors, the rows written for NEW: (condition or None, values)).
SOURCES = [
    (
        "customers_keyperson",
        ("key_person", "key_role"),
        [
            (None, "NEW.company_id, 'key_person', NEW.id, NEW.person_id, NEW.name, NEW.role, "
             "NEW.share_pct, NULL, NULL"),
            ("NEW.person_id IS NOT NULL", "NEW.person_id, 'key_role', NEW.id, NEW.company_id, "
             "'', NEW.role, NULL, NULL, NULL"),
        ],
    ),
    (
        "customers_referral",
        ("referred_by", "referral"),
        [
            (None, "NEW.referred_id, 'referred_by', NEW.id, NEW.referrer_customer_id, '', '', "
             "NULL, NEW.referred_on, NEW.referrer_staff_id"),
            ("NEW.referrer_customer_id IS NOT NULL", "NEW.referrer_customer_id, 'referral', "
             "NEW.id, NEW.referred_id, '', '', NULL, NEW.referred_on, NULL"),
        ],
    ),
]


def _delete(kinds, row):
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    return f"DELETE FROM customers_customerlink WHERE kind IN ({listed}) AND source_id = {row}.id;"


def _inserts(rows):
    out = []
    for condition, values in rows:
        select = f"SELECT {values}" + (f" WHERE {condition}" if condition else "")
        out.append(f"INSERT INTO customers_customerlink ({COLUMNS}) {select};")
    return " ".join(out)


def _backfill(table, rows):
    # The same rows for what is already there: NEW becomes the table itself.
    return [
        f"INSERT INTO customers_customerlink ({COLUMNS}) "
        + f"SELECT {values.replace('NEW.', 'src.')} FROM {table} src"
        + (f" WHERE {condition.replace('NEW.', 'src.')}" if condition else "")
        for condition, values in rows
    ]


def postgresql_up():
    statements = []
    for table, kinds, rows in SOURCES:
        statements += [
            f"CREATE FUNCTION {table}_link() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF TG_OP <> 'INSERT' THEN {_delete(kinds, 'OLD')} END IF; "
            f"IF TG_OP <> 'DELETE' THEN {_inserts(rows)} END IF; "
            "RETURN NULL; END $$",
            f"CREATE TRIGGER {table}_link AFTER INSERT OR UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_link()",
            *_backfill(table, rows),
        ]
    # Fresh statistics, or the planner guesses at the 360's one-customer reads.
    return [*statements, "ANALYZE customers_customerlink"]


def postgresql_down():
    statements = []
    for table, _kinds, _rows in SOURCES:
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_link ON {table}",
            f"DROP FUNCTION IF EXISTS {table}_link()",
        ]
    return statements


def sqlite_up():
    statements = []
    for table, kinds, rows in SOURCES:
        statements += [
            f"CREATE TRIGGER {table}_link_ai AFTER INSERT ON {table} BEGIN {_inserts(rows)} END",
            f"CREATE TRIGGER {table}_link_au AFTER UPDATE ON {table} BEGIN "
            f"{_delete(kinds, 'OLD')} {_inserts(rows)} END",
            f"CREATE TRIGGER {table}_link_ad AFTER DELETE ON {table} BEGIN "
            f"{_delete(kinds, 'OLD')} END",
            *_backfill(table, rows),
        ]
    return statements


def sqlite_down():
    return [
        f"DROP TRIGGER IF EXISTS {table}_link_{suffix}"
        for table, _kinds, _rows in SOURCES
        for suffix in ("ai", "au", "ad")
    ]


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": sqlite_up, "postgresql": postgresql_up}.get(vendor, list)():
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": sqlite_down, "postgresql": postgresql_down}.get(vendor, list)():
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0004_tier_rules_and_tokens'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CustomerLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('key_person', 'Key Person'), ('key_role', 'Key Role'), ('referred_by', 'Referred By'), ('referral', 'Referral')], max_length=12)),
                ('source_id', models.BigIntegerField()),
                ('name', models.CharField(blank=True, max_length=100)),
                ('role', models.CharField(blank=True, max_length=24)),
                ('share_pct', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True)),
                ('referred_on', models.DateField(blank=True, null=True)),
                ('customer', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer')),
                ('other', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='customers.customer')),
                ('staff', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['customer', 'kind', 'source_id'], name='customers_link_customer')],
                'constraints': [models.UniqueConstraint(fields=('kind', 'source_id', 'customer'), name='customers_link_source')],
            },
        ),
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
