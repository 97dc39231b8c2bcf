from django.db import migrations, models


# The dashboard's backlog indexes (channelhub.dashboard, fulfillment.connect.dashboard).
# Numbered 0011: 0010 is the search indexes' (issue 15, built beside this one). Where both
# are merged, this migration depends on 0010_search_indexes instead of 0009.
class Migration(migrations.Migration):

    dependencies = [
        ('fulfillment', '0010_search_indexes'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='fulfillmentrequest',
            index=models.Index(fields=['status', 'created', 'is_migration', 'product'], name='pr_dash_age'),
        ),
        migrations.AddIndex(
            model_name='fulfillmentrequest',
            index=models.Index(fields=['product', 'status', 'created', 'is_migration'], name='pr_dash_product_age'),
        ),
    ]
