"""front-sync: keep a PostgreSQL copy of a Front company's data current, from Apache Airflow 3."""
