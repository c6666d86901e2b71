"""The store: tables, queries, engines, migrations, and the records workers share."""
