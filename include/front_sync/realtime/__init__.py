"""Real time (issue 21): Front's application webhooks, stored by the receiver and applied by the real-time DAG,
which the triggerer wakes through an AssetWatcher (trigger.py). May import config, resources, warehouse, hooks."""
