"""The documents the API and the webhooks share: views, validation of what comes in, event
payloads. Pure."""
