"""Real time (issue 21): Front's application webhooks received, stored and applied.

The receiver (receiver.py, run as `python -m front_sync.realtime`) verifies and stores webhooks in the tenant's
warehouse; the triggerer wakes the real-time DAG through an AssetWatcher (trigger.py), whose operator applies them.
May import front_sync.config, resources, warehouse and hooks; never sync or ops.
"""
