"""Pure data shapes shared across the layers: the typed rows the repository returns, the
documents the API and the webhooks show (views, event payloads), and the validation of what
comes in. No I/O."""
