"""Channel webhooks: one Lambda each, routed by the webhook API of infra/merge-template.json."""
