"""Recommendations stored once per distinct profile, and one short row per customer.

The per-customer table ``marketing_recommendation`` (five rows for each customer,
rewritten every night) becomes a view of the same name and columns over three tables:
the profiles, each profile's ranked products, and the profile each customer is shown.
Its rows are derived: they are dropped here and the next ``recommendations_refresh``
(nightly, or ``rmdesk recommendations-refresh``) writes the new tables.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0008_change_history_triggers'),
        ('marketing', '0005_sale_follow_up_call'),
    ]

    operations = [
        migrations.DeleteModel(name='Recommendation'),
        migrations.CreateModel(
            name='RecommendationProfile',
            fields=[
                ('key', models.BigIntegerField(primary_key=True, serialize=False)),
                ('tier', models.CharField(blank=True, max_length=12)),
                ('risk_level', models.PositiveSmallIntegerField()),
                ('assessment_valid', models.BooleanField()),
                ('qualified', models.BooleanField()),
                ('branch_ok', models.BooleanField()),
                ('held_kinds', models.IntegerField()),
                ('aum_bucket', models.PositiveSmallIntegerField()),
                ('maturing_bucket', models.PositiveSmallIntegerField()),
                ('customers', models.IntegerField()),
                ('refreshed_at', models.DateTimeField()),
            ],
            options={
                'verbose_name': 'recommendation profile',
                'verbose_name_plural': 'recommendation profiles',
            },
        ),
        migrations.CreateModel(
            name='CustomerRecommendationProfile',
            fields=[
                ('customer', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='customers.customer')),
                ('profile', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='marketing.recommendationprofile')),
            ],
            options={
                'verbose_name': "customer's recommendation profile",
                'verbose_name_plural': "customers' recommendation profiles",
            },
        ),
        migrations.CreateModel(
            name='RecommendationProfileItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('score', models.IntegerField()),
                ('rank', models.PositiveSmallIntegerField()),
                ('reason', models.CharField(max_length=24)),
                ('refreshed_at', models.DateTimeField()),
                ('product', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='marketing.product')),
                ('profile', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='items', to='marketing.recommendationprofile')),
            ],
            options={
                'verbose_name': 'recommendation profile item',
                'verbose_name_plural': 'recommendation profile items',
                'constraints': [models.UniqueConstraint(fields=('profile', 'rank'), name='marketing_recommendationprofileitem_rank')],
            },
        ),
        migrations.CreateModel(
            name='Recommendation',
            fields=[
                ('pk', models.CompositePrimaryKey('customer', 'product', blank=True, editable=False, primary_key=True, serialize=False)),
                ('score', models.IntegerField()),
                ('rank', models.PositiveSmallIntegerField()),
                ('reason', models.CharField(max_length=24)),
                ('refreshed_at', models.DateTimeField()),
                ('customer', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='customers.customer')),
                ('product', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='marketing.product')),
            ],
            options={
                'verbose_name': 'recommendation',
                'verbose_name_plural': 'recommendations',
                'db_table': 'marketing_recommendation',
                'managed': False,
            },
        ),
        migrations.RunSQL(
            sql="""
            CREATE VIEW marketing_recommendation AS
            SELECT c.customer_id, i.product_id, i.score, i.rank, i.reason, i.refreshed_at
            FROM marketing_customerrecommendationprofile c
            JOIN marketing_recommendationprofileitem i ON i.profile_id = c.profile_id
            """,
            reverse_sql="DROP VIEW marketing_recommendation",
        ),
    ]
