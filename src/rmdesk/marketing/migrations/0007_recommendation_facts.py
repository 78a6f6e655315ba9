"""Each customer's recommendation inputs kept between runs, and the customers to read again.

``RecommendationFacts`` holds what the ranking reads of each customer (filled from the
whole bank by the next ``recommendations_refresh``), ``RecommendationChange`` the
customers whose rows changed since (written by the triggers of the next migration),
``RecommendationMark`` the day, rules and shelf the facts and profiles were built for.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0009_customer_indexes'),
        ('marketing', '0006_recommendations_by_profile'),
    ]

    operations = [
        migrations.CreateModel(
            name='RecommendationChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('customer_id', models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name='RecommendationFacts',
            fields=[
                ('customer', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='customers.customer')),
                ('tier', models.CharField(max_length=12)),
                ('aum', models.DecimalField(decimal_places=2, max_digits=18)),
                ('risk_level', models.PositiveSmallIntegerField()),
                ('expires_on', models.DateField(null=True)),
                ('assessed', models.BooleanField()),
                ('branch', models.BooleanField()),
                ('qualified_on', models.DateField(null=True)),
                ('bank_wm', models.BooleanField()),
                ('held_kinds', models.IntegerField()),
                ('maturing', models.DecimalField(decimal_places=2, max_digits=18, null=True)),
                ('key', models.BigIntegerField(null=True)),
            ],
            options={
                'verbose_name': 'recommendation facts',
                'verbose_name_plural': 'recommendation facts',
            },
        ),
        migrations.CreateModel(
            name='RecommendationMark',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('window_days', models.PositiveSmallIntegerField()),
                ('min_experience_years', models.PositiveSmallIntegerField()),
                ('bank_wm_products', models.TextField()),
                ('shelf', models.CharField(blank=True, max_length=64)),
            ],
        ),
    ]
