"""One signal row per episode (the consecutive runs that found a need) instead of one per
day, and the days each rule was run for (SignalRun).

The per-day rows are collapsed set-based: a rule's run days are the days it has rows
for; the days a need was found, numbered among those run days, split into runs of
consecutive numbers (gaps and islands), and each run becomes one episode. The row of an
episode's latest day is kept (its evidence is the latest) and the others go; the
opportunities raised from them follow it, but for a second open one on the same episode
(one open opportunity per signal), which keeps its signal type only. An episode still
found on its rule's latest run day stays open (``last_seen`` null).

Reversing writes one row per run day of each episode again, each with the episode's
(latest) evidence.
"""

# ruff: noqa: S608
from typing import Any

from django.db import migrations, models


def _runs(cursor: Any) -> None:
    cursor.execute(
        "INSERT INTO development_signalrun (code, day) "
        "SELECT DISTINCT code, as_of FROM development_signal"
    )


def _checked(schema_editor: Any, cursor: Any) -> None:
    # The deferred foreign-key checks now, so the table can be altered next.
    if schema_editor.connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def collapse(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        _runs(cursor)
        for table in ("mig_island", "mig_episode"):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        # Each row with the number of its day among its rule's run days, less its rank
        # among its need's days: constant along consecutive run days (an island).
        cursor.execute(
            "CREATE TEMPORARY TABLE mig_island AS "
            "SELECT s.id, s.customer_id, s.code, s.subject, s.as_of, "
            "r.n - ROW_NUMBER() OVER (PARTITION BY s.customer_id, s.code, s.subject "
            "ORDER BY s.as_of) AS island "
            "FROM development_signal s JOIN (SELECT code, day, "
            "ROW_NUMBER() OVER (PARTITION BY code ORDER BY day) AS n "
            "FROM development_signalrun) r ON r.code = s.code AND r.day = s.as_of"
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE mig_episode AS "
            "SELECT i.id, k.keep_id, k.first_day, k.last_day, k.through "
            "FROM mig_island i JOIN (SELECT e.customer_id, e.code, e.subject, e.island, "
            "e.first_day, e.last_day, l.id AS keep_id, "
            "(SELECT MAX(r.day) FROM development_signalrun r WHERE r.code = e.code) AS through "
            "FROM (SELECT customer_id, code, subject, island, MIN(as_of) AS first_day, "
            "MAX(as_of) AS last_day FROM mig_island "
            "GROUP BY customer_id, code, subject, island) e "
            "JOIN mig_island l ON l.customer_id = e.customer_id AND l.code = e.code "
            "AND l.subject = e.subject AND l.as_of = e.last_day) k "
            "ON k.customer_id = i.customer_id AND k.code = i.code AND k.subject = i.subject "
            "AND k.island = i.island"
        )
        cursor.execute(
            "UPDATE development_signal SET first_seen = e.first_day, "
            "last_seen = CASE WHEN e.last_day = e.through THEN NULL ELSE e.last_day END "
            "FROM mig_episode e WHERE e.id = development_signal.id AND e.keep_id = e.id"
        )
        # A second open opportunity on one episode keeps its type, not the link.
        cursor.execute(
            "UPDATE development_opportunity SET signal_id = NULL WHERE status = 'open' "
            "AND EXISTS (SELECT 1 FROM mig_episode e, development_opportunity o, mig_episode f "
            "WHERE e.id = development_opportunity.signal_id AND o.status = 'open' "
            "AND o.signal_id = f.id AND f.keep_id = e.keep_id "
            "AND o.id < development_opportunity.id)"
        )
        cursor.execute(
            "UPDATE development_opportunity SET signal_id = e.keep_id FROM mig_episode e "
            "WHERE e.id = development_opportunity.signal_id AND e.keep_id <> e.id"
        )
        cursor.execute(
            "DELETE FROM development_signal WHERE id IN "
            "(SELECT id FROM mig_episode WHERE keep_id <> id)"
        )
        for table in ("mig_island", "mig_episode"):
            cursor.execute(f"DROP TABLE {table}")
        _checked(schema_editor, cursor)
        if schema_editor.connection.vendor == "postgresql":
            # Most rows may have gone: fresh statistics for the reads that follow.
            cursor.execute("ANALYZE development_signal")


def expand(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        # Every run day of an episode but its latest gets a row of its own.
        cursor.execute(
            "INSERT INTO development_signal (customer_id, code, subject, as_of, evidence) "
            "SELECT s.customer_id, s.code, s.subject, r.day, s.evidence "
            "FROM development_signal s JOIN development_signalrun r ON r.code = s.code "
            "AND r.day >= s.first_seen AND r.day < COALESCE(s.last_seen, "
            "(SELECT MAX(x.day) FROM development_signalrun x WHERE x.code = s.code))"
        )
        cursor.execute(
            "UPDATE development_signal SET as_of = COALESCE(last_seen, "
            "(SELECT MAX(x.day) FROM development_signalrun x "
            "WHERE x.code = development_signal.code), first_seen) WHERE as_of IS NULL"
        )
        _checked(schema_editor, cursor)


class Migration(migrations.Migration):
    dependencies = [
        ("development", "0004_signal_customer_index_dropped"),
    ]

    operations = [
        migrations.CreateModel(
            name="SignalRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "code",
                    models.CharField(
                        choices=[
                            ("idle_deposit", "Idle demand deposits"),
                            ("maturity", "Maturing deposit or product"),
                            ("salary_no_wealth", "Salary but no wealth management"),
                            ("large_inflow", "Large one-off inflow"),
                            ("attrition", "Transfers to other banks"),
                            ("birthday", "Birthday"),
                            ("settlement_growth", "Growing settlement volume"),
                            ("payroll_potential", "Payroll potential"),
                            ("counterparty", "Counterparty who is not a customer"),
                        ],
                        max_length=24,
                    ),
                ),
                ("day", models.DateField()),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("code", "day"), name="development_signalrun_once"
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="signal",
            name="first_seen",
            field=models.DateField(null=True),
        ),
        migrations.AddField(
            model_name="signal",
            name="last_seen",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RemoveConstraint(
            model_name="signal",
            name="development_signal_once",
        ),
        migrations.RemoveIndex(
            model_name="signal",
            name="development_signal_day",
        ),
        migrations.RemoveIndex(
            model_name="signal",
            name="development_signal_customer",
        ),
        migrations.AlterField(
            model_name="signal",
            name="as_of",
            field=models.DateField(null=True),
        ),
        migrations.RunPython(collapse, expand),
        migrations.RemoveField(
            model_name="signal",
            name="as_of",
        ),
        migrations.AlterField(
            model_name="signal",
            name="first_seen",
            field=models.DateField(),
        ),
        migrations.AddIndex(
            model_name="signal",
            index=models.Index(
                fields=["customer", "code", "subject", "first_seen"],
                name="development_signal_key",
            ),
        ),
        migrations.AddIndex(
            model_name="signal",
            index=models.Index(
                condition=models.Q(("last_seen__isnull", False)),
                fields=["last_seen"],
                name="development_signal_closed",
            ),
        ),
        migrations.AddConstraint(
            model_name="signal",
            constraint=models.UniqueConstraint(
                condition=models.Q(("last_seen__isnull", True)),
                fields=("code", "customer", "subject"),
                name="development_signal_open",
            ),
        ),
        migrations.AddConstraint(
            model_name="signal",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("last_seen__isnull", True), ("last_seen__gte", models.F("first_seen")), _connector="OR"
                ),
                name="development_signal_seen",
            ),
        ),
    ]
