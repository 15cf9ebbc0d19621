"""Provider adapters: each provider's wire format and signature scheme, and nothing else."""
