"""Front's application webhooks, simulated (README "Webhooks"): the company's registrations with the challenge
handshake, a signed event-preview POST for every event a mutation emits, retries, faults and a delivery log."""

from front_simulator.webhooks.faults import WebhookSpecError
from front_simulator.webhooks.hub import WebhookHub
from front_simulator.webhooks.registry import WebhookError

__all__ = ["WebhookError", "WebhookHub", "WebhookSpecError"]
